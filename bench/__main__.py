"""`python -m bench [WHICH] [--small] [--json FILE]`; WHICH is all (the default), or one of:

- latency: [1] `$oms-assess` over HTTP / `orjson.loads` and [2] whole-bundle validation /
  `$oms-assess`, on 1k, 10k and 100k entries (validation on 1k and 10k only).
- memory: [3] peak RSS of a fresh service process assessing a ~50 MB bundle / input size.
- healthz: [4] `/healthz` latency while a 100k-entry bundle is assessed, and [8] while a
  10,000-resource CDS patient-view (and, as baseline, `$oms-assess` of the same resources)
  is answered; probes every 20 ms on fresh connections, none waiting for another.
- throughput: [5] a ~300-resource call under concurrent load / a bare parse-only route,
  with uvicorn workers 1 and 2.
- replicas: [6] CDS hook throughput of 1 process vs 2 replicas on one PostgreSQL behind
  nginx, and the PostgreSQL replay check vs SQLite (starts its own PostgreSQL and nginx).
- cds: [7] CDS Hooks patient-view with a 5,000- and a 10,000-resource prefetch /
  `$oms-assess` on the same resources as a Bundle: p50, p95 and peak memory growth; [11]
  the typical call, a 300-resource patient-view / the bare route on the same bytes.
- course: [9] a 10,000-resource record with 1,000 medication records: `$oms-assess` /
  `orjson.loads`, and patient-view / `$oms-assess` (the checklist follows the course).
- burst: [10] peak RSS of the server for a burst of maximum-size bodies (the service's
  default limits, admission control on; then wide open) / the memory limit of
  deploy/kubernetes/oms-cds.yaml, and what each client got (200, or 503 + Retry-After).
- fhir-read: [12] `/healthz` during a 10,000-resource `GET Patient/{id}/$oms-assess` read
  page by page from a real FHIR server (sekmet, seeded by the bench).
- profile: pyinstrument profile of `assess_payload` on 10k entries, and the in-process time
  of each stage of a 10,000-resource patient-view (not part of `all`).

`--small` runs every benchmark at a small size in well under a minute, for CI; no
benchmark ever fails on a threshold, it only prints figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench import benchmarks, burst, course, fhir_read, patient_view, replicas
from bench.server import Server

CHOICES = (
    "all", "latency", "memory", "healthz", "cds", "course", "throughput", "replicas", "burst",
    "fhir-read", "profile",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("which", nargs="?", default="all", choices=CHOICES)
    parser.add_argument("--small", action="store_true", help="small sizes (CI), a few seconds")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="uvicorn worker counts for the throughput benchmark")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = benchmarks.SMALL if args.small else benchmarks.FULL
    started = time.perf_counter()
    benchmarks.say(
        f"oms-cds bench ({'small' if args.small else 'full'}) "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; python {platform.python_version()}; "
        f"{_cpu()}; load average {_load()}"
    )
    figures: dict[str, object] = {}
    which = args.which
    if which in ("all", "latency", "healthz", "cds", "course"):
        # Dev mode (no client JWT) so the same process answers hook calls too.
        with Server(cds_dev=True) as server:
            if which in ("all", "latency"):
                figures["latency"] = latency = benchmarks.latency(sizes, server)
                figures["validation"] = benchmarks.validation(sizes, latency)
            if which in ("all", "healthz"):
                figures["healthz"] = benchmarks.healthz(sizes, server)
            if which in ("all", "cds"):
                figures["patient_view"] = patient_view.patient_view(sizes, server)
                figures["small_call"] = patient_view.small_call(sizes, server)
            if which in ("all", "healthz"):
                figures["healthz_hook"] = patient_view.healthz_during_hook(sizes, server)
            if which in ("all", "course"):
                figures["course"] = course.course(sizes, server)
    if which in ("all", "memory"):
        figures["memory"] = benchmarks.memory(sizes)
    if which in ("all", "throughput"):
        figures["throughput"] = benchmarks.throughput(sizes, tuple(args.workers))
    if which in ("all", "replicas"):
        figures["replicas"] = replicas.replicas(args.small)
    if which in ("all", "burst"):
        figures["burst"] = burst.burst(args.small)
    if which in ("all", "fhir-read"):
        figures["fhir_read"] = fhir_read.healthz_during_server_read(1_000 if args.small else 10_000)
    if which == "profile":
        benchmarks.profile(1_000 if args.small else 10_000, 2 if args.small else 10)
        benchmarks.profile(300, 20 if args.small else 200)
        figures["patient_view_stages"] = patient_view.stages(
            1_000 if args.small else 10_000, 2 if args.small else 10
        )
    benchmarks.say(f"done in {time.perf_counter() - started:.1f} s; load average {_load()}")
    if args.json:
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    return 0


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def _cpu() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}"


if __name__ == "__main__":
    sys.exit(main())
