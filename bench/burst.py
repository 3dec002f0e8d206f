"""[10] A burst of maximum-size bodies: the server's peak memory against the replica's limit.

The service runs with its default limits (`OMS_MAX_BODY_BYTES`, and admission control's
`OMS_MAX_CONCURRENT_REQUESTS`, `OMS_MAX_BYTES_IN_FLIGHT`, `OMS_ADMISSION_WAIT_SECONDS`);
`count` clients each post a body just under the body limit at the same moment, on their
own connections. Measured: the server process's peak RSS (`VmHWM`, a fresh process per
case) as a ratio to the memory limit of deploy/kubernetes/oms-cds.yaml (target: under
0.90, i.e. 10% headroom), and what each client got (200, or 503 with Retry-After). The
same burst with admission control opened wide shows what the limits save, and one body
alone gives the peak cost of one maximum-size body, the figure the limits are sized by.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.benchmarks import MB, Figures, say
from bench.data import body_of_size, synthea_body
from bench.server import FHIR_JSON, ROOT, Server, connect, peak_rss_bytes, post
from service import defaults

MANIFEST = ROOT / "deploy" / "kubernetes" / "oms-cds.yaml"
#: The share of the memory limit the peak may reach (10% headroom).
TARGET = 0.90
ASSESS = "/fhir/$oms-assess"


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    seconds: float


def manifest_memory_limit(path: Path = MANIFEST) -> int:
    """`resources.limits.memory` of the manifest's container, in bytes (Mi or Gi)."""
    text = path.read_text()
    found = re.search(r"limits:\s*\n\s*memory:\s*(\d+)(Mi|Gi)\b", text)
    if found is None:
        raise RuntimeError(f"no limits.memory in {path}")
    return int(found.group(1)) * (MB if found.group(2) == "Mi" else 1024 * MB)


def burst(small: bool) -> Figures:
    """Peak RSS for `count` simultaneous maximum-size bodies, admitted and wide open."""
    limit = manifest_memory_limit()
    body_limit = 2 * MB if small else defaults.MAX_BODY_BYTES
    count = 4 if small else 6
    body = _max_size_body(body_limit)
    # The service's defaults, set explicitly: the bench server's own are wider. The small
    # run keeps the same proportion: room for two bodies.
    service_limits = {
        "OMS_MAX_BODY_BYTES": str(body_limit),
        "OMS_MAX_BYTES_IN_FLIGHT": str(2 * body_limit if small else defaults.MAX_BYTES_IN_FLIGHT),
        "OMS_MAX_CONCURRENT_REQUESTS": str(defaults.MAX_CONCURRENT_REQUESTS),
        "OMS_ADMISSION_WAIT_SECONDS": str(defaults.ADMISSION_WAIT_SECONDS),
    }
    wide_open = {
        **service_limits,
        "OMS_MAX_CONCURRENT_REQUESTS": "1000",
        "OMS_MAX_BYTES_IN_FLIGHT": str(1000 * body_limit),
    }
    say(
        f"[10] peak RSS of the server for {count} simultaneous {len(body) / MB:.1f} MiB bodies"
        f" (body limit {body_limit / MB:.0f} MiB) / the manifest's memory limit"
        f" {limit / MB:.0f} MiB (target < {TARGET:.2f})"
    )
    out: Figures = {"manifest_limit": limit, "body_bytes": len(body), "count": count}
    out["one body"] = _case("one body alone", body, 1, service_limits, limit)
    out["admitted"] = _case("burst, default admission", body, count, service_limits, limit)
    out["wide open"] = _case("burst, admission wide open", body, count, wide_open, limit)
    one = out["one body"]
    out["per_body_growth"] = one["peak"] - one["idle_peak"]
    say(
        f"    one maximum-size body costs {out['per_body_growth'] / MB:.0f} MiB over idle"
        f" ({out['per_body_growth'] / len(body):.2f}x its size)"
    )
    return out


def _max_size_body(limit: int) -> bytes:
    """A Synthea-like body just under `limit` bytes."""
    body = body_of_size(int(limit * 0.97))
    while len(body) > limit:
        body = body_of_size(int(len(body) * 0.97))
    return body


def _case(what: str, body: bytes, count: int, env: dict[str, str], limit: int) -> Figures:
    with Server(env=env) as server:
        conn = connect(server.port)
        try:
            post(conn, ASSESS, synthea_body(50))  # import-time work done
        finally:
            conn.close()
        idle = peak_rss_bytes(server.pid)
        answers = _simultaneous(server.port, body, count)
        peak = peak_rss_bytes(server.pid)
    statuses = sorted(a.status for a in answers)
    refused = [a for a in answers if a.status == 503]
    if set(statuses) - {200, 503} or any(a.retry_after is None for a in refused):
        raise RuntimeError(f"{what}: unexpected answers {answers}")
    waits = sorted({a.retry_after for a in refused if a.retry_after})
    out: Figures = {
        "idle_peak": idle, "peak": peak, "ratio": peak / limit, "statuses": statuses,
        "retry_after": waits, "slowest_s": max(a.seconds for a in answers),
    }  # fmt: skip
    answered = ", ".join(f"{statuses.count(s)} x {s}" for s in sorted(set(statuses)))
    verdict = "under" if peak / limit < TARGET else "OVER"
    say(
        f"    {what}: idle {idle / MB:.0f} MiB, peak {peak / MB:.0f} MiB -> {peak / limit:.2f}"
        f" of the limit ({verdict} target); answers {answered}"
        + (f" (Retry-After {', '.join(out['retry_after'])} s)" if refused else "")
        + f"; slowest {out['slowest_s']:.2f} s"
    )
    return out


def _simultaneous(port: int, body: bytes, count: int) -> list[Answer]:
    """`count` POSTs of `body`, each on its own connection, released at the same moment."""
    start = threading.Barrier(count)
    answers: list[Answer | None] = [None] * count

    def one(n: int) -> None:
        conn = connect(port)
        try:
            start.wait()
            began = time.perf_counter()
            conn.request("POST", ASSESS, body=body, headers={"Content-Type": FHIR_JSON})
            response = conn.getresponse()
            response.read()
            seconds = time.perf_counter() - began
            answers[n] = Answer(response.status, response.getheader("Retry-After"), seconds)
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    found = [a for a in answers if a is not None]
    if len(found) != count:
        raise RuntimeError(f"{count - len(found)} of {count} requests got no answer")
    return found
