"""[7] CDS Hooks patient-view vs `$oms-assess` on the same resources, [8] `/healthz`
during a large patient-view (issue 11), and [11] the typical 300-resource patient-view vs
the bare route.

Both routes are called against the same service process (`OMS_CDS_INSECURE_DEV=1`, so a
hook call needs no client JWT), alternately, so that other work on the machine weighs on
both alike: the figure that counts is the ratio. Memory is measured like [3]: a fresh
server per case, `VmHWM` growth over its idle high-water mark.
"""

from __future__ import annotations

import gc
import statistics
import time
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import orjson

from bench.benchmarks import Figures, Sizes, failed_note, ms, probed, say
from bench.data import HOOK_INSTANCE, patient_view_case
from bench.probes import INTERVAL
from bench.server import Server, connect, peak_rss_bytes, post

HOOK_PATH = "/cds-services/oms-screening"
ASSESS_PATH = "/fhir/$oms-assess"
BARE_PATH = "/bench/parse"
JSON = "application/json"
MB = 1024 * 1024


def fresh_hook(body: bytes) -> bytes:
    """The hook request with a hookInstance of its own (the placeholder comes first)."""
    return body.replace(HOOK_INSTANCE.encode(), str(uuid.uuid4()).encode(), 1)


def _check_hook(status: int, answer: bytes) -> None:
    if status != 200:
        raise RuntimeError(f"patient-view answered {status}: {answer[:300]!r}")
    cards = orjson.loads(answer)["cards"]
    if not cards or cards[0]["indicator"] != "warning":
        raise RuntimeError("patient-view did not answer with the high-risk card")


def _check_assess(status: int, answer: bytes) -> None:
    if status != 200:
        raise RuntimeError(f"$oms-assess answered {status}: {answer[:300]!r}")
    risk = orjson.loads(answer)["entry"][0]["resource"]["prediction"][0]["qualitativeRisk"]
    if risk["coding"][0]["code"] != "high":
        raise RuntimeError("$oms-assess did not answer high risk")


def paired(
    first: str,
    first_times: list[float],
    second: str,
    second_times: list[float],
    ratio: str = "ratio",
) -> Figures:
    """p50 and p95 of two series of call times (`<name>_p50_s`, `<name>_p95_s`), and the
    first's over the second's (`<ratio>_p50`, `<ratio>_p95`)."""
    out: Figures = {}
    for name, times in ((first, first_times), (second, second_times)):
        out[f"{name}_p50_s"] = statistics.median(times)
        out[f"{name}_p95_s"] = p95(times)
    for q in ("p50", "p95"):
        out[f"{ratio}_{q}"] = out[f"{first}_{q}_s"] / out[f"{second}_{q}_s"]
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile (inclusive method: never outside the values seen)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


# --- 7: latency and memory ------------------------------------------------------------------


def patient_view(sizes: Sizes, server: Server) -> Figures:
    """p50/p95 of patient-view and `$oms-assess` on the same resources, their ratios, and
    the peak memory growth of each in a fresh server."""
    say(
        "[7] CDS patient-view (prefetch) vs $oms-assess (Bundle) on the same resources,"
        " same server, calls alternated"
    )
    out: Figures = {}
    for resources in sizes.hook_resources:
        hook, bundle = patient_view_case(resources)
        times = _alternate(server.port, hook, bundle, sizes)
        view, assess = times["patient-view"], times["$oms-assess"]
        case: Figures = {
            "hook_bytes": len(hook), "bundle_bytes": len(bundle), "calls": len(view),
            **paired("hook", view, "assess", assess),
        }  # fmt: skip
        out[str(resources)] = case
        say(
            f"    {resources:>6} resources ({len(hook) / MB:.1f} MB hook, {len(bundle) / MB:.1f} MB"
            f" Bundle), {len(view)} calls each: patient-view p50 {ms(case['hook_p50_s'])}"
            f" p95 {ms(case['hook_p95_s'])} | $oms-assess p50 {ms(case['assess_p50_s'])}"
            f" p95 {ms(case['assess_p95_s'])} | ratio p50 {case['ratio_p50']:.2f}x"
            f" p95 {case['ratio_p95']:.2f}x"
        )
    say("    peak memory growth over idle (VmHWM), a fresh server per case:")
    for resources in sizes.hook_resources:
        hook, bundle = patient_view_case(resources)
        hook_mem = _growth(HOOK_PATH, fresh_hook(hook), JSON, _check_hook)
        assess_mem = _growth(ASSESS_PATH, bundle, "application/fhir+json", _check_assess)
        memory: Figures = {"patient-view": hook_mem, "$oms-assess": assess_mem}
        memory["ratio"] = (
            hook_mem["growth"] / assess_mem["growth"] if assess_mem["growth"] else float("nan")
        )
        out[str(resources)]["memory"] = memory
        say(
            f"    {resources:>6} resources: patient-view +{hook_mem['growth'] / MB:.0f} MB"
            f" ({hook_mem['growth'] / len(hook):.2f}x its body;"
            f" idle {hook_mem['idle_peak'] / MB:.0f} MB)"
            f" | $oms-assess +{assess_mem['growth'] / MB:.0f} MB"
            f" ({assess_mem['growth'] / len(bundle):.2f}x its body; idle"
            f" {assess_mem['idle_peak'] / MB:.0f} MB) | ratio {memory['ratio']:.2f}x"
        )
    return out


def small_call(sizes: Sizes, server: Server) -> Figures:
    """[11] The typical call: a 300-resource patient-view / the bench's bare route (the same
    body read the same way and parsed with orjson, nothing else) on the same bytes."""
    say("[11] the typical call: 300-resource patient-view vs the bare route on the same bytes")
    hook, _ = patient_view_case(300)
    calls: dict[str, Call] = {
        "patient-view": lambda conn: post(conn, HOOK_PATH, fresh_hook(hook), JSON),
        "bare route": lambda conn: post(conn, BARE_PATH, fresh_hook(hook), JSON),
    }
    checks = {"patient-view": _check_hook, "bare route": _check_bare}
    times = _alternated(server.port, calls, checks, sizes.small_calls, sizes.hook_budget_seconds)
    view, bare = times["patient-view"], times["bare route"]
    out: Figures = {
        "hook_bytes": len(hook),
        "calls": len(view),
        **paired("hook", view, "bare", bare),
    }
    say(
        f"    {len(hook) / 1024:.0f} KB hook, {len(view)} calls each: patient-view p50"
        f" {ms(out['hook_p50_s'])} p95 {ms(out['hook_p95_s'])} | bare route p50"
        f" {ms(out['bare_p50_s'])} p95 {ms(out['bare_p95_s'])} -> p50 {out['ratio_p50']:.2f}x"
        f" p95 {out['ratio_p95']:.2f}x (target p50 <= 2x)"
    )
    return out


def _check_bare(status: int, answer: bytes) -> None:
    if status != 200 or b"parsed" not in answer:
        raise RuntimeError(f"the bare route answered {status}: {answer[:200]!r}")


Call = Callable[[Any], tuple[int, bytes, float]]


def _alternate(port: int, hook: bytes, bundle: bytes, sizes: Sizes) -> dict[str, list[float]]:
    calls: dict[str, Call] = {
        "patient-view": lambda conn: post(conn, HOOK_PATH, fresh_hook(hook), JSON),
        "$oms-assess": lambda conn: post(conn, ASSESS_PATH, bundle),
    }
    checks = {"patient-view": _check_hook, "$oms-assess": _check_assess}
    return _alternated(port, calls, checks, sizes.hook_repeats, sizes.hook_budget_seconds)


def _alternated(
    port: int,
    calls: dict[str, Call],
    checks: Mapping[str, Callable[[int, bytes], None]],
    repeats: int,
    budget_seconds: float,
) -> dict[str, list[float]]:
    """Wall times of up to `repeats` calls per route, routes alternated (ABBA), one
    keep-alive connection per route, each call after a `gc.collect()` (not timed)."""
    conns = {name: connect(port) for name in calls}
    times: dict[str, list[float]] = {name: [] for name in calls}
    try:
        for name, call in calls.items():  # warm-up and check the answers
            status, answer, _ = call(conns[name])
            checks[name](status, answer)
        deadline = time.perf_counter() + budget_seconds
        for n in range(repeats):
            if n and time.perf_counter() > deadline:
                break
            order = list(calls) if n % 2 == 0 else list(reversed(calls))
            for name in order:
                gc.collect()
                status, _, seconds = calls[name](conns[name])
                if status != 200:
                    raise RuntimeError(f"{name} answered {status}")
                times[name].append(seconds)
    finally:
        for conn in conns.values():
            conn.close()
    return times


def _growth(
    path: str, body: bytes, content_type: str, check: Callable[[int, bytes], None]
) -> dict[str, int]:
    """VmHWM of a fresh server before and after one POST of `body` (after small warm-ups
    on both routes, so import-time and first-call costs are in idle)."""
    small_hook, small_bundle = patient_view_case(50)
    with Server(cds_dev=True) as server:
        conn = connect(server.port)
        try:
            _check_hook(*post(conn, HOOK_PATH, fresh_hook(small_hook), JSON)[:2])
            _check_assess(*post(conn, ASSESS_PATH, small_bundle)[:2])
            idle = peak_rss_bytes(server.pid)
            status, answer, _ = post(conn, path, body, content_type)
            peak = peak_rss_bytes(server.pid)
        finally:
            conn.close()
    check(status, answer)
    return {"idle_peak": idle, "peak": peak, "growth": peak - idle}


# --- 8: /healthz during a large patient-view -----------------------------------------------


def healthz_during_hook(sizes: Sizes, server: Server) -> Figures:
    """`/healthz` probes (every 20 ms, fresh connections, not waiting) during a large
    patient-view, and during `$oms-assess` on the same resources as the same-run baseline;
    `sizes.rounds` calls of each, the probes pooled."""
    resources = sizes.hook_healthz_resources
    say(
        f"[8] GET /healthz every {INTERVAL * 1000:.0f} ms (fresh connections, not waiting)"
        f" during a {resources}-resource patient-view, and during $oms-assess of the same"
        f" resources; {sizes.rounds} call(s) each, probes pooled"
    )
    hook, bundle = patient_view_case(resources)
    conn = connect(server.port)
    try:  # warm-up: first-call costs are not what is probed
        _check_hook(*post(conn, HOOK_PATH, fresh_hook(hook), JSON)[:2])
        _check_assess(*post(conn, ASSESS_PATH, bundle)[:2])
    finally:
        conn.close()
    out: Figures = {}
    runs: dict[str, list[Figures]] = {"patient-view": [], "$oms-assess": []}
    latencies: dict[str, list[float]] = {"patient-view": [], "$oms-assess": []}
    for _ in range(sizes.rounds):
        for name in runs:
            if name == "patient-view":
                run = probed(server.port, HOOK_PATH, fresh_hook(hook), JSON, keep=True)
            else:
                run = probed(server.port, ASSESS_PATH, bundle, keep=True)
            latencies[name].extend(run.pop("latencies"))
            runs[name].append(run)
    for name, found in latencies.items():
        pooled = found or [float("nan")]
        case: Figures = {
            "probes": len(found), "failed": sum(r["failed"] for r in runs[name]),
            "median_s": statistics.median(pooled), "p95_s": p95(pooled), "max_s": max(pooled),
            "max_per_call_s": [r["max_s"] for r in runs[name]],
            "request_s": [r["request_s"] for r in runs[name]],
        }  # fmt: skip
        out[name] = case
        say(
            f"    during {name:<12}: {case['probes']} probes over {len(runs[name])} call(s) of"
            f" {', '.join(f'{s:.2f}' for s in case['request_s'])} s: median"
            f" {ms(case['median_s'])}, p95 {ms(case['p95_s'])}, max {ms(case['max_s'])}"
            f"{failed_note(case)} (max per call: "
            f"{', '.join(ms(s) for s in case['max_per_call_s'])})"
        )
    return out


# --- profile: where a patient-view's time goes, in-process -----------------------------------


def stages(resources: int, repeats: int) -> Figures:
    """Median in-process time of each stage of a patient-view (what `_answer_hook` runs,
    without HTTP) next to `assess_payload` of the same resources as a Bundle."""
    import asyncio

    from service.cds.discovery import prefetch_keys
    from service.cds.prefetch import FetchLimits, gather_prefetch
    from service.cds.request import parse_hook_request
    from service.cds.screen import screen
    from service.engine import assess_payload
    from service.security.clients import dev_client
    from service.terminology import load_terminology

    terminology = load_terminology()
    keys = prefetch_keys(terminology)
    client = dev_client([])
    hook, bundle = patient_view_case(resources)
    times: dict[str, list[float]] = {}

    def clock(name: str, fn: Callable[[], Any]) -> Any:
        gc.collect()
        start = time.perf_counter()
        value = fn()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return value

    for _ in range(repeats):
        request = clock(
            "parse_hook_request (msgspec skeleton, heads)", lambda: parse_hook_request(hook)
        )
        found = clock(
            "gather (prefetch entries, on the event loop)",
            partial(
                asyncio.run,
                gather_prefetch(
                    request, keys, client, FetchLimits(), records_from_prefetch_only=True
                ),
            ),
        )
        clock(
            "screen (read_records, assess, cards)",
            partial(screen, request, found, terminology),
        )
        clock(
            "$oms-assess: assess_payload of the Bundle", lambda: assess_payload(bundle, terminology)
        )
    say(f"[profile] patient-view stages in-process, {resources} resources, median of {repeats}")
    out = {name: statistics.median(spent) for name, spent in times.items()}
    for name, seconds in out.items():
        say(f"    {name:<52} {ms(seconds):>10}")
    return out
