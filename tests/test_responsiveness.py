"""Shorter GIL slices only while a large body is worked on, restored after, counted."""

from __future__ import annotations

import sys
import threading

import pytest

from service import defaults
from service.responsiveness import SHORT_SWITCH_INTERVAL, short_slices_for

LARGE = defaults.LARGE_BODY_BYTES


def test_a_small_body_keeps_the_interval() -> None:
    before = sys.getswitchinterval()
    with short_slices_for(LARGE - 1):
        assert sys.getswitchinterval() == before


def test_a_large_body_gets_short_slices_until_it_is_done() -> None:
    before = sys.getswitchinterval()
    assert before > SHORT_SWITCH_INTERVAL
    with short_slices_for(LARGE):
        assert sys.getswitchinterval() == pytest.approx(SHORT_SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_overlapping_large_bodies_restore_the_interval_when_the_last_ends() -> None:
    before = sys.getswitchinterval()
    first_in = threading.Event()
    second_done = threading.Event()
    seen: list[float] = []

    def second() -> None:
        first_in.wait()
        with short_slices_for(LARGE):
            pass
        seen.append(sys.getswitchinterval())  # the first is still running
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with short_slices_for(LARGE):
        first_in.set()
        second_done.wait(5)
    thread.join(5)
    assert seen == [pytest.approx(SHORT_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before


def test_the_interval_is_restored_when_the_work_fails() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(ValueError), short_slices_for(LARGE):
        raise ValueError
    assert sys.getswitchinterval() == before
