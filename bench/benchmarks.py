"""The five benchmarks of issue 6 and a profile, each printing ratios to a same-run baseline.

Every loop is bounded in count and in time; every server is on 127.0.0.1 and stopped.
Figures are returned as plain dicts too, so a caller (the smoke test) can check shape.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from bench.data import body_of_size, real_synthea_body, synthea_body
from bench.probes import INTERVAL, probe_during
from bench.server import FHIR_JSON, ROOT, Server, connect, get, peak_rss_bytes, post, rss_bytes

Figures = dict[str, Any]
MB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    latency_entries: tuple[int, ...]
    validation_entries: tuple[int, ...]
    memory_bytes: int
    healthz_entries: int
    cds_entries: int
    load_requests: int
    load_seconds: float
    repeats: int
    budget_seconds: float
    rounds: int
    #: [7] and [8]: prefetch sizes, calls per route (and their time bound), [8]'s size.
    hook_resources: tuple[int, ...]
    hook_repeats: int
    hook_budget_seconds: float
    hook_healthz_resources: int
    #: [9]: resources of the course-of-treatment record (a tenth medication records).
    course_resources: int = 10_000
    #: [11]: calls per route of the typical (300-resource) patient-view.
    small_calls: int = 300


FULL = Sizes(
    (1_000, 10_000, 100_000), (1_000, 10_000), 50 * MB, 100_000, 300, 2000, 6.0, 7, 20.0, 3,
    (5_000, 10_000), 40, 60.0, 10_000,
)  # fmt: skip
SMALL = Sizes(
    (200, 1_000), (200,), 2 * MB, 10_000, 300, 200, 2.0, 3, 3.0, 1, (1_000,), 5, 5.0, 1_000,
    1_000, small_calls=30,
)  # fmt: skip


def timed(
    fn: Callable[[], object], repeats: int, budget: float, *, collector: bool = True
) -> list[float]:
    """Wall times of up to `repeats` calls (at least one), stopping once `budget` s are spent.

    Each call starts after a full `gc.collect()` (not timed), so that no call pays for
    garbage left by the one before. With `collector=False` the GC is off during the calls.
    """
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < repeats and (not times or time.perf_counter() < deadline):
        gc.collect()
        if not collector:
            gc.disable()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def say(line: str = "") -> None:
    print(line, flush=True)


# --- 1 + 2: latency over HTTP vs orjson.loads, and vs whole-bundle validation -------------


def latency(sizes: Sizes, server: Server) -> Figures:
    """Median `$oms-assess` latency over HTTP / median `orjson.loads` of the same bytes."""
    say("[1] $oms-assess over HTTP vs orjson.loads of the same bytes (medians)")
    out: Figures = {}
    for entries in sizes.latency_entries:
        body = synthea_body(entries)
        parse = statistics.median(
            timed(partial(orjson.loads, body), sizes.repeats, sizes.budget_seconds)
        )
        bare = statistics.median(
            timed(
                partial(orjson.loads, body),
                sizes.repeats,
                sizes.budget_seconds,
                collector=False,
            )
        )
        # A fresh connection per size: the work above can outlast uvicorn's keep-alive.
        conn = connect(server.port)
        try:
            status, answer, _ = post(conn, "/fhir/$oms-assess", body)  # warm-up and check
            if status != 200:
                raise RuntimeError(f"$oms-assess answered {status}: {answer[:300]!r}")
            risk = _risk(answer)
            http = statistics.median(
                timed(
                    partial(post, conn, "/fhir/$oms-assess", body),
                    _repeats_for(entries, sizes),
                    sizes.budget_seconds,
                )
            )
            ratio = http / parse
            out[str(entries)] = {
                "bytes": len(body), "parse_s": parse, "parse_nogc_s": bare, "http_s": http,
                "ratio": ratio, "ratio_nogc": http / bare, "risk": risk,
            }  # fmt: skip
            say(
                f"    {entries:>7} entries {len(body) / MB:5.1f} MB: HTTP {ms(http):>10}"
                f" | orjson.loads {ms(parse):>9} -> {ratio:4.2f}x"
                f" | with GC off {ms(bare):>9} -> {http / bare:4.2f}x | risk {risk}"
            )
        finally:
            conn.close()
    return out


def validation(sizes: Sizes, latency_figures: Figures) -> Figures:
    """Whole-bundle R4B validation (parse + Bundle.model_validate) / the HTTP latency above."""
    from fhir.resources.R4B.bundle import Bundle

    say("[2] whole-bundle fhir.resources R4B validation vs $oms-assess over HTTP (medians)")
    out: Figures = {}
    for entries in sizes.validation_entries:
        body = synthea_body(entries)
        full = statistics.median(
            timed(
                partial(_validate_whole, Bundle, body),
                max(3, sizes.repeats // 2),
                sizes.budget_seconds,
            )
        )
        http = latency_figures[str(entries)]["http_s"]
        out[str(entries)] = {"validate_s": full, "http_s": http, "speedup": full / http}
        say(
            f"    {entries:>7} entries: validate {ms(full):>10}  $oms-assess {ms(http):>9}"
            f"  fast path {full / http:4.1f}x faster"
        )
    return out


def _validate_whole(model: Any, body: bytes) -> object:
    return model.model_validate(orjson.loads(body))


def _repeats_for(entries: int, sizes: Sizes) -> int:
    return max(3, sizes.repeats if entries <= 10_000 else sizes.repeats // 2)


def _risk(answer: bytes) -> str:
    bundle = orjson.loads(answer)
    risk_assessment = bundle["entry"][0]["resource"]
    return str(risk_assessment["prediction"][0]["qualitativeRisk"]["coding"][0]["code"])


# --- 3: peak RSS while assessing a ~50 MB bundle ---------------------------------------------


def memory(sizes: Sizes) -> Figures:
    """Peak RSS of a fresh service process over one large request / input size, for the
    generated Observations and (when the corpus is there) a real Synthea patient's records."""
    say(f"[3] peak RSS of the service assessing a ~{sizes.memory_bytes / MB:.0f} MB bundle")
    generated = body_of_size(sizes.memory_bytes)
    out = {
        "generated": _memory_of("Synthea-like Observations, $oms-assess", generated),
        "generated-parse-only": _memory_of(
            "same bytes, bare route (read + orjson.loads)", generated, "/bench/parse"
        ),
    }
    real = real_synthea_body(sizes.memory_bytes)
    if real is not None:
        out["real-synthea"] = _memory_of("real Synthea records repeated, $oms-assess", real)
    return out


def _memory_of(what: str, body: bytes, path: str = "/fhir/$oms-assess") -> Figures:
    with Server() as server:
        conn = connect(server.port)
        try:
            post(conn, path, synthea_body(50))  # import-time work done
            post(conn, "/fhir/$oms-assess", synthea_body(50))
            idle = peak_rss_bytes(server.pid)
            status, _, seconds = post(conn, path, body)
            peak = peak_rss_bytes(server.pid)
            after = rss_bytes(server.pid)
        finally:
            conn.close()
    if status != 200:
        raise RuntimeError(f"$oms-assess answered {status} on the large bundle")
    out = {
        "bytes": len(body), "idle_peak": idle, "peak": peak, "after": after, "seconds": seconds,
        "peak_ratio": peak / len(body), "growth_ratio": (peak - idle) / len(body),
    }  # fmt: skip
    say(
        f"    {what}: input {len(body) / MB:.1f} MB, idle {idle / MB:.0f} MB,"
        f" peak {peak / MB:.0f} MB -> peak {out['peak_ratio']:.2f}x input"
        f" (growth {out['growth_ratio']:.2f}x); RSS after {after / MB:.0f} MB; {seconds:.2f} s"
    )
    return out


# --- 4: /healthz while a 100k-entry bundle is assessed --------------------------------------


def healthz(sizes: Sizes, server: Server) -> Figures:
    """Median and max `/healthz` latency, probed every 20 ms on fresh connections without
    waiting for earlier answers, while the big POST is in flight."""
    say(
        f"[4] GET /healthz every {INTERVAL * 1000:.0f} ms (fresh connections, not waiting)"
        f" while a {sizes.healthz_entries}-entry bundle is assessed"
    )
    body = synthea_body(sizes.healthz_entries)
    conn = connect(server.port)
    try:  # warm-up: first-call costs are not what is probed
        post(conn, "/fhir/$oms-assess", synthea_body(1_000))
    finally:
        conn.close()
    idle = [get(server.port, "/healthz")[1] for _ in range(10)]
    out = probed(server.port, "/fhir/$oms-assess", body)
    out["idle_median_s"] = statistics.median(idle)
    say(
        f"    {out['probes']} probes during a {out['request_s']:.2f} s request: median "
        f"{ms(out['median_s'])}, p95 {ms(out['p95_s'])}, max {ms(out['max_s'])}"
        f"{failed_note(out)} (idle median {ms(out['idle_median_s'])})"
    )
    return out


def probed(
    port: int, path: str, body: bytes, content_type: str = FHIR_JSON, *, keep: bool = False
) -> Figures:
    """The probe figures (`bench.probes`) while one POST of `body` to `path` is answered,
    with every probe's latency under "latencies" if `keep`; RuntimeError unless it
    answered 200."""

    def busy() -> int:
        conn = connect(port)
        try:
            status, _, _ = post(conn, path, body, content_type)
        finally:
            conn.close()
        return status

    probes, status = probe_during(port, busy)
    if status != 200:
        raise RuntimeError(f"the large POST {path} answered {status}")
    out: Figures = dict(probes.figures())
    if keep:
        out["latencies"] = probes.latencies
    return out


def failed_note(out: Figures) -> str:
    return f", {out['failed']} failed" if out["failed"] else ""


# --- 5: throughput of a CDS-sized call vs a bare parse-only route ---------------------------


def throughput(sizes: Sizes, workers: tuple[int, ...] = (1, 2)) -> Figures:
    """Closed-loop load from a separate process: `$oms-assess` / bare orjson route, per workers."""
    say(
        f"[5] throughput, ~{sizes.cds_entries}-resource bundle, {CONCURRENCY} connections"
        " from a separate load process"
    )
    out: Figures = {}
    with tempfile.TemporaryDirectory() as folder:
        cases = {"typical": synthea_body(sizes.cds_entries, hits=False)}
        cases["oms-hits"] = synthea_body(sizes.cds_entries, hits=True)
        files = {name: Path(folder) / f"{name}.json" for name in cases}
        for name, data in cases.items():
            files[name].write_bytes(data)
        for n in workers:
            with Server(workers=n) as server:
                for name, file in files.items():
                    bare, real = _rounds(server.port, file, sizes)
                    ratio = real["rps"] / bare["rps"] if bare["rps"] else 0.0
                    out[f"workers={n} {name}"] = {"bare": bare, "assess": real, "ratio": ratio}
                    say(
                        f"    workers={n} {name:8} ({len(cases[name]) / 1024:.0f} KB): "
                        f"$oms-assess {real['rps']:6.0f}/s p50 {ms(real['p50'])} "
                        f"p99 {ms(real['p99'])} | bare parse {bare['rps']:6.0f}/s "
                        f"p50 {ms(bare['p50'])} p99 {ms(bare['p99'])} | ratio {ratio:.0%}"
                        + (f" | errors {real['errors'] + bare['errors']}" if real["errors"]
                           or bare["errors"] else "")
                    )  # fmt: skip
    return out


#: Connections kept busy by the load generator, the same for every worker setting.
CONCURRENCY = 8


def _rounds(port: int, file: Path, sizes: Sizes) -> tuple[Figures, Figures]:
    """Bare route and `$oms-assess` alternately, `sizes.rounds` times each; per figure the
    median over the rounds (a single run of either varies by up to 30% here)."""
    runs: dict[str, list[Figures]] = {"/bench/parse": [], "/fhir/$oms-assess": []}
    for _ in range(sizes.rounds):
        for path, found in runs.items():
            found.append(_load(port, path, file, sizes))

    def median_of(found: list[Figures]) -> Figures:
        return {key: statistics.median(run[key] for run in found) for key in found[0]}

    return median_of(runs["/bench/parse"]), median_of(runs["/fhir/$oms-assess"])


def _load(
    port: int, path: str, file: Path, sizes: Sizes, concurrency: int = CONCURRENCY
) -> Figures:
    command = [
        sys.executable, "-m", "bench.load", "--port", str(port), "--path", path,
        "--body-file", str(file), "--concurrency", str(concurrency),
        "--requests", str(sizes.load_requests), "--seconds", str(sizes.load_seconds),
    ]  # fmt: skip
    # Warm-up run, short, so first-request costs do not count.
    warm = [*command[:-4], "--requests", "20", "--seconds", "2"]
    subprocess.run(warm, cwd=ROOT, check=True, capture_output=True, timeout=60)
    done = subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, timeout=sizes.load_seconds + 60
    )
    figures: Figures = orjson.loads(done.stdout)
    return figures


# --- profile --------------------------------------------------------------------------------


def profile(entries: int, repeats: int, *, hits: bool = True) -> str:
    """A pyinstrument profile of `assess_payload` plus the response rendering, in-process."""
    from pyinstrument import Profiler

    from service.api.responses import FhirJsonResponse
    from service.engine import assess_payload
    from service.terminology import load_terminology

    terminology = load_terminology()
    body = synthea_body(entries, hits=hits)
    assess_payload(body, terminology)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeats):
        FhirJsonResponse(assess_payload(body, terminology).bundle)
    profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False, short_mode=False)
    say(f"[profile] assess_payload + render, {entries} entries, hits={hits}, x{repeats}")
    say(text)
    return text
