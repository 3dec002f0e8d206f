"""The course of treatment, as a paediatric neurologist would check it (service/domain/course.py).

Agent classes are opaque names here: which codes fall in them is tested with the profiles in
tests/test_treatment_terminology.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.course import (
    ActivityStatus,
    OmsCondition,
    RecordState,
    TrackedItem,
    TrackingRule,
    Treatment,
    current_episode,
    end_of,
    follow_course,
)

STEROID, ACTH, IVIG, DMD, REHAB = "steroid", "acth", "ivig", "dmd", "rehab"
ITEMS = (
    TrackedItem("treat", TrackingRule.ANY, (STEROID, ACTH, IVIG, DMD)),
    TrackedItem("escalate", TrackingRule.ANY, (STEROID, ACTH)),
    TrackedItem("review", TrackingRule.EARLIER_EPISODES, (STEROID, ACTH, IVIG, DMD)),
    TrackedItem("dmd", TrackingRule.ANY, (DMD,)),
    TrackedItem("ivig", TrackingRule.ANY, (IVIG,)),
    TrackedItem(
        "multimodal",
        TrackingRule.COMBINATION,
        (STEROID, ACTH, IVIG, DMD),
        ("steroid-or-acth", "steroid-or-acth", "ivig", "dmd"),
    ),
    TrackedItem("rehab", TrackingRule.ANY, (REHAB,)),
)
TODAY = date(2026, 11, 20)
ONSET = ("2026-09-15",)
NS = ActivityStatus.NOT_STARTED


def pred(state: RecordState, start: str | None, end: str | None = None) -> Treatment:
    return Treatment(
        frozenset({STEROID}), "prednisolone", state, "MedicationRequest/pred", start, end
    )


def ivig(start: str, end: str) -> Treatment:
    return Treatment(
        frozenset({IVIG}),
        "immunoglobulin G",
        RecordState.GIVEN,
        "MedicationAdministration/ivig",
        start,
        end,
    )


RITUXIMAB_2025 = Treatment(
    frozenset({DMD}),
    "rituximab",
    RecordState.GIVEN,
    "MedicationStatement/rtx",
    "2025-03-01",
    "2025-03-22",
)
RELAPSE_SEPT = (OmsCondition("relapse", onset="2026-09-01"),)


def statuses(
    **changed: tuple[ActivityStatus, str | None],
) -> dict[str, tuple[ActivityStatus, str | None]]:
    expected: dict[str, tuple[ActivityStatus, str | None]] = {i.code: (NS, None) for i in ITEMS}
    expected.update(changed)
    return expected


@pytest.mark.parametrize(
    ("treatments", "conditions", "expected"),
    [
        pytest.param((), (), statuses(), id="newly-diagnosed"),
        pytest.param(
            (pred(RecordState.ACTIVE, "2026-10-01"),),
            (),
            statuses(
                treat=(ActivityStatus.IN_PROGRESS, "prednisolone, since 2026-10-01"),
                escalate=(ActivityStatus.IN_PROGRESS, "prednisolone, since 2026-10-01"),
            ),
            id="on-prednisolone-now",
        ),
        pytest.param(
            (pred(RecordState.GIVEN, "2026-10-01", "2026-11-02"),),
            (),
            statuses(
                treat=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
                escalate=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
            ),
            id="completed-steroid-course",
        ),
        pytest.param(
            (pred(RecordState.ACTIVE, "2026-10-01", "2026-11-02"),),
            (),
            statuses(
                treat=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
                escalate=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
            ),
            id="active-order-whose-end-has-passed-is-given-and-stopped",
        ),
        pytest.param(
            (ivig("2026-10-15", "2026-10-16"),),
            (),
            statuses(
                treat=(ActivityStatus.COMPLETED, "immunoglobulin G, 2026-10-15 to 2026-10-16"),
                ivig=(ActivityStatus.COMPLETED, "immunoglobulin G, 2026-10-15 to 2026-10-16"),
            ),
            id="ivig-given",
        ),
        pytest.param(
            (RITUXIMAB_2025,),
            RELAPSE_SEPT,
            statuses(review=(NS, "rituximab, 2025-03-01 to 2025-03-22")),
            id="rituximab-in-an-earlier-episode-only",
        ),
        pytest.param(
            (pred(RecordState.GIVEN, "2026-10-01", "2026-11-02"), ivig("2026-10-15", "2026-10-16")),
            (),
            statuses(
                treat=(
                    ActivityStatus.COMPLETED,
                    "prednisolone, 2026-10-01 to 2026-11-02; "
                    "immunoglobulin G, 2026-10-15 to 2026-10-16",
                ),
                escalate=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
                ivig=(ActivityStatus.COMPLETED, "immunoglobulin G, 2026-10-15 to 2026-10-16"),
                multimodal=(
                    ActivityStatus.COMPLETED,
                    "prednisolone, 2026-10-01 to 2026-11-02 with "
                    "immunoglobulin G, 2026-10-15 to 2026-10-16",
                ),
            ),
            id="steroid-and-ivig-overlapping",
        ),
        pytest.param(
            (pred(RecordState.GIVEN, "2026-10-01", "2026-11-02"), ivig("2026-11-10", "2026-11-11")),
            (),
            statuses(
                treat=(
                    ActivityStatus.COMPLETED,
                    "prednisolone, 2026-10-01 to 2026-11-02; "
                    "immunoglobulin G, 2026-11-10 to 2026-11-11",
                ),
                escalate=(ActivityStatus.COMPLETED, "prednisolone, 2026-10-01 to 2026-11-02"),
                ivig=(ActivityStatus.COMPLETED, "immunoglobulin G, 2026-11-10 to 2026-11-11"),
            ),
            id="steroid-and-ivig-not-overlapping",
        ),
        pytest.param(
            (pred(RecordState.ON_HOLD, "2026-10-01"),),
            (),
            statuses(
                treat=(ActivityStatus.ON_HOLD, "prednisolone, 2026-10-01, on hold"),
                escalate=(ActivityStatus.ON_HOLD, "prednisolone, 2026-10-01, on hold"),
            ),
            id="only-record-on-hold",
        ),
        pytest.param(
            (
                Treatment(
                    frozenset({DMD}),
                    "mycophenolate mofetil",
                    RecordState.ACTIVE,
                    "MedicationStatement/mmf",
                    "2025-01-10",
                ),
            ),
            RELAPSE_SEPT,
            statuses(
                treat=(ActivityStatus.IN_PROGRESS, "mycophenolate mofetil, since 2025-01-10"),
                dmd=(ActivityStatus.IN_PROGRESS, "mycophenolate mofetil, since 2025-01-10"),
            ),
            id="active-now-since-an-earlier-episode-counts-now",
        ),
    ],
)
def test_tracked_items_follow_the_record(
    treatments: tuple[Treatment, ...],
    conditions: tuple[OmsCondition, ...],
    expected: dict[str, tuple[ActivityStatus, str | None]],
) -> None:
    course = follow_course(
        ITEMS, treatments, conditions=conditions, evidence_dates=ONSET, today=TODAY
    )
    assert {i.code: (i.status, i.progress) for i in course.items} == expected


@pytest.mark.parametrize(
    ("state", "start", "status", "words"),
    [
        pytest.param(
            RecordState.GIVEN,
            "2026-10-05",
            ActivityStatus.COMPLETED,
            "speech therapy, 2026-10-05",
            id="speech-therapy-done",
        ),
        pytest.param(
            RecordState.ORDERED,
            "2026-11-30",
            ActivityStatus.SCHEDULED,
            "speech therapy, ordered 2026-11-30",
            id="speech-therapy-only-ordered",
        ),
    ],
)
def test_speech_therapy(state: RecordState, start: str, status: ActivityStatus, words: str) -> None:
    therapy = Treatment(frozenset({REHAB}), "speech therapy", state, "Procedure/st", start)
    (rehab,) = [
        i
        for i in follow_course(ITEMS, [therapy], evidence_dates=ONSET, today=TODAY).items
        if i.code == "rehab"
    ]
    assert (rehab.status, rehab.progress, rehab.references) == (status, words, ("Procedure/st",))


def test_records_behind_an_item_are_named_once_in_date_order() -> None:
    later, earlier = (
        pred(RecordState.GIVEN, "2026-11-01", "2026-11-05"),
        pred(RecordState.GIVEN, "2026-09-20", "2026-09-25"),
    )
    earlier = Treatment(
        earlier.classes,
        earlier.name,
        earlier.state,
        "MedicationRequest/first",
        earlier.start,
        earlier.end,
    )
    course = follow_course(ITEMS, [later, earlier, later], evidence_dates=ONSET, today=TODAY)
    assert course.items[0].references == ("MedicationRequest/first", "MedicationRequest/pred")


def test_steroid_and_ivig_both_running_now_is_combination_in_progress() -> None:
    running = (
        pred(RecordState.ACTIVE, "2026-11-01"),
        Treatment(
            frozenset({IVIG}),
            "immunoglobulin G",
            RecordState.ACTIVE,
            "MedicationRequest/ivig",
            "2026-11-15",
        ),
    )
    (multi,) = [
        i
        for i in follow_course(ITEMS, running, evidence_dates=ONSET, today=TODAY).items
        if i.code == "multimodal"
    ]
    assert multi.status is ActivityStatus.IN_PROGRESS
    assert multi.references == ("MedicationRequest/pred", "MedicationRequest/ivig")


def test_steroid_and_acth_together_are_one_group_not_a_combination() -> None:
    acth = Treatment(
        frozenset({ACTH}),
        "corticotropin",
        RecordState.GIVEN,
        "MedicationAdministration/acth",
        "2026-10-02",
        "2026-10-20",
    )
    given = (pred(RecordState.GIVEN, "2026-10-01", "2026-11-02"), acth)
    (multi,) = [
        i
        for i in follow_course(ITEMS, given, evidence_dates=ONSET, today=TODAY).items
        if i.code == "multimodal"
    ]
    assert (multi.status, multi.progress) == (NS, None)


@pytest.mark.parametrize(
    ("conditions", "signs", "expected"),
    [
        pytest.param((), (), (date(2026, 9, 15), None), id="disease-onset-is-earliest-evidence"),
        pytest.param(
            RELAPSE_SEPT,
            (),
            (date(2026, 9, 1), date(2026, 9, 1)),
            id="relapse-from-clinical-status",
        ),
        pytest.param(
            (OmsCondition("recurrence", recorded="2026-08-20"),),
            (),
            (date(2026, 8, 20), date(2026, 8, 20)),
            id="recurrence-without-onset-uses-recorded-date",
        ),
        pytest.param(
            (OmsCondition("remission", onset="2024-01-05", abatement="2025-06"),),
            ("2024-01-10", "2025-06-15", "2026-08-03", "2026-09-01"),
            (date(2026, 8, 3), date(2026, 8, 3)),
            id="relapse-from-new-sign-after-remission",
        ),
        pytest.param(
            (OmsCondition("resolved", abatement="2026-10-01"),),
            ("2024-01-10",),
            (date(2026, 9, 15), None),
            id="remission-without-a-later-sign-is-no-relapse",
        ),
    ],
)
def test_current_episode(
    conditions: tuple[OmsCondition, ...],
    signs: tuple[str, ...],
    expected: tuple[date | None, date | None],
) -> None:
    assert current_episode(conditions, signs, ONSET) == expected


def test_partial_dates_end_on_the_last_day_they_can_mean() -> None:
    assert (end_of("2025"), end_of("2024-02"), end_of("2026-10-01T10:00:00Z"), end_of(None)) == (
        date(2025, 12, 31),
        date(2024, 2, 29),
        date(2026, 10, 1),
        None,
    )


def test_relapse_is_reported_with_its_date() -> None:
    course = follow_course(ITEMS, (), conditions=RELAPSE_SEPT, evidence_dates=ONSET, today=TODAY)
    assert (course.episode_start, course.relapse_since) == (date(2026, 9, 1), date(2026, 9, 1))
