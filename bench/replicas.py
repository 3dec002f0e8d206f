"""[6] replicas: hook throughput of 1 process vs 2 replicas behind nginx, and what the
PostgreSQL replay check adds over SQLite. Every figure is a ratio to a baseline
measured in the same run.

- Throughput: CDS hook calls (the high-risk example as prefetch, each with a fresh
  ES384 token, so every call does a real replay-cache insert) from a separate
  closed-loop load process, 8 connections: one `oms-cds serve` on PostgreSQL, direct
  (the baseline); the same one behind nginx (nginx's own cost); two replicas on the
  same PostgreSQL behind nginx. Full size: 3 rounds, the cases alternated, medians.
- Replay check: what a hook call asks of the storage (`used`, then `first_use`), one
  call at a time in-process, on the embedded SQLite file (the baseline) and on
  PostgreSQL over loopback, both durable
  (SQLite WAL `synchronous=FULL`; PostgreSQL `fsync=on`, `synchronous_commit=on`).
- Hook latency, one call at a time over HTTP, SQLite vs PostgreSQL: the replay check
  as the client sees it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from bench.cluster import AUD, PUBLIC, ROOT, SERVICE, Nginx, Replica, running_postgres
from bench.server import rss_bytes
from service.storage import open_storage
from service.storage.base import replay_key

Figures = dict[str, Any]
ISS = "https://ehr.example.org"
KID = "bench-es384"
CONCURRENCY = 8


def say(line: str) -> None:
    print(line, flush=True)


class Signer:
    """An ES384 key, its JWK Set in a clients file, and fresh tokens for the service."""

    def __init__(self, folder: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())
        jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        self.clients_file = folder / "clients.json"
        self.clients_file.write_text(
            json.dumps(
                [
                    {
                        "iss": ISS,
                        "jwks": {"keys": [{**jwk, "kid": KID, "alg": "ES384", "use": "sig"}]},
                        "fhir_servers": ["https://ehr.example.org/fhir"],
                    }
                ]
            )
        )

    def token(self) -> str:
        now = int(time.time())
        claims = {"iss": ISS, "aud": AUD, "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self.key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})

    def token_file(self, path: Path, count: int) -> Path:
        path.write_text("\n".join(self.token() for _ in range(count)))
        return path


def hook_body() -> bytes:
    """A patient-view call with the high-risk example's data as prefetch."""
    bundle = json.loads((ROOT / "examples" / "high.json").read_text())
    resources = [copy.deepcopy(e["resource"]) for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    urls = {e.get("fullUrl") for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"}
    for resource in resources:
        if resource.get("subject", {}).get("reference") in urls:
            resource["subject"] = {"reference": f"Patient/{patient['id']}"}

    def searchset(kind: str) -> dict[str, Any]:
        found = [{"resource": r} for r in resources if r["resourceType"] == kind]
        return {"resourceType": "Bundle", "type": "searchset", "entry": found}

    return json.dumps(
        {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
            "prefetch": {
                "patient": patient,
                "conditions": searchset("Condition"),
                "observations": searchset("Observation"),
                "observationsByValue": {"resourceType": "Bundle", "type": "searchset"},
            },
        }
    ).encode()


def replicas(small: bool) -> Figures:
    requests = 300 if small else 1500
    seconds = 4.0 if small else 15.0
    checks = 200 if small else 2000
    rounds = 1 if small else 3
    say(f"[6] replicas: hook calls with fresh tokens, {CONCURRENCY} connections, load process")
    out: Figures = {}
    with running_postgres(durable=True) as postgres, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        signer = Signer(folder)
        body = folder / "hook.json"
        body.write_bytes(hook_body())
        sqlite_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        postgres_url = postgres.new_database()

        checks_sqlite: list[Figures] = []
        checks_postgres: list[Figures] = []
        for _ in range(rounds):  # alternated, so drifting load hits both
            checks_sqlite.append(asyncio.run(_first_use_times(sqlite_url, checks // rounds)))
            checks_postgres.append(asyncio.run(_first_use_times(postgres_url, checks // rounds)))
        out["replay_check"] = replay = {
            "sqlite": _median(checks_sqlite),
            "postgresql": _median(checks_postgres),
        }
        ratio = replay["postgresql"]["p50"] / replay["sqlite"]["p50"]
        replay["ratio_p50"] = ratio
        say(
            f"    replay check in-process ({checks} x read + insert-if-absent): SQLite p50 "
            f"{ms(replay['sqlite']['p50'])} p99 {ms(replay['sqlite']['p99'])} | PostgreSQL "
            f"p50 {ms(replay['postgresql']['p50'])} p99 {ms(replay['postgresql']['p99'])} "
            f"| ratio {ratio:.2f}x"
        )

        env = {"OMS_CDS_CLIENTS_FILE": str(signer.clients_file), "OMS_PUBLIC_BASE_URL": PUBLIC}
        lite = Replica("sqlite", {**env, "OMS_DATABASE_URL": sqlite_url}, folder)
        a = Replica("a", {**env, "OMS_DATABASE_URL": postgres_url}, folder)
        b = Replica("b", {**env, "OMS_DATABASE_URL": postgres_url}, folder)
        try:
            lite.start()
            a.start()
            one_sqlite: list[Figures] = []
            one_postgres: list[Figures] = []
            for _ in range(rounds):
                one_sqlite.append(_load(lite.port, signer, body, folder, requests // 4, seconds, 1))
                one_postgres.append(_load(a.port, signer, body, folder, requests // 4, seconds, 1))
            latency = {"sqlite": _median(one_sqlite), "postgresql": _median(one_postgres)}
            lite.stop()
            added = latency["postgresql"]["p50"] - latency["sqlite"]["p50"]
            out["hook_latency"] = {**latency, "added_p50": added}
            say(
                f"    hook call over HTTP, one at a time: SQLite p50 "
                f"{ms(latency['sqlite']['p50'])} | PostgreSQL p50 "
                f"{ms(latency['postgresql']['p50'])} | added {ms(added)} "
                f"({latency['postgresql']['p50'] / latency['sqlite']['p50']:.2f}x)"
            )

            b.start()
            with _nginx([a.port]) as one, _nginx([a.port, b.port]) as two:
                ports = {"1 process": a.port, "1 process + nginx": one.port}
                ports["2 replicas + nginx"] = two.port
                runs: dict[str, list[Figures]] = {name: [] for name in ports}
                pids = [_pid(a), _pid(b), one.pid(), two.pid()]
                for _ in range(rounds):  # alternated, so drifting load hits every case
                    for case_name, port in ports.items():
                        before = _cpu_seconds(pids)
                        found = _load(port, signer, body, folder, requests, seconds)
                        used = _cpu_seconds(pids) - before
                        found["cpu_ms_per_call"] = used / max(1, found["count"]) * 1000
                        runs[case_name].append(found)
            cases = {name: _median(found) for name, found in runs.items()}
            rss = {
                "a": rss_bytes(_pid(a)) / 1024 / 1024,
                "b": rss_bytes(_pid(b)) / 1024 / 1024,
            }
        finally:
            for replica in (lite, a, b):
                replica.stop()
        base = cases["1 process"]["rps"]
        for case_name, case in cases.items():
            case["ratio"] = case["rps"] / base if base else 0.0
            say(
                f"    {case_name:20}: {case['rps']:6.1f} calls/s p50 {ms(case['p50'])} "
                f"p99 {ms(case['p99'])} | x{case['ratio']:.2f} of 1 process | service CPU "
                f"{case['cpu_ms_per_call']:.1f} ms/call"
                + (f" | errors {case['errors']:.0f}" if case["errors"] else "")
            )
        out["throughput"] = cases
        out["rss_mib_after_load"] = rss
        say(f"    RSS after the load: replica A {rss['a']:.0f} MiB, B {rss['b']:.0f} MiB")
    return out


async def _first_use_times(url: str, count: int) -> Figures:
    storage = open_storage(url)
    await storage.open()
    times: list[float] = []
    try:
        for n in range(20):  # warm-up: connections made, pages cached
            await storage.first_use(replay_key(ISS, f"warm-{n}-{uuid.uuid4()}"), 4e9)
        for _ in range(count):
            key = replay_key(ISS, str(uuid.uuid4()))
            start = time.perf_counter()  # what a hook call does: read first, spend last
            await storage.used(key)
            await storage.first_use(key, time.time() + 600)
            times.append(time.perf_counter() - start)
    finally:
        await storage.close()
    times.sort()
    return {
        "count": count,
        "p50": statistics.median(times),
        "p99": times[int(0.99 * (len(times) - 1))],
    }


def _load(
    port: int,
    signer: Signer,
    body: Path,
    folder: Path,
    requests: int,
    seconds: float,
    concurrency: int = CONCURRENCY,
) -> Figures:
    tokens = signer.token_file(folder / f"tokens-{uuid.uuid4().hex}.txt", requests + 20)
    command = [
        sys.executable, "-m", "bench.load", "--port", str(port), "--path", SERVICE,
        "--body-file", str(body), "--concurrency", str(concurrency),
        "--token-file", str(tokens),
    ]  # fmt: skip
    # Warm-up on the first 20 tokens; the measured run skips them (they are used).
    warm = signer.token_file(folder / f"warm-{uuid.uuid4().hex}.txt", 20)
    subprocess.run(
        [*command[:-1], str(warm), "--requests", "20", "--seconds", "5"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    done = subprocess.run(
        [*command, "--requests", str(requests), "--seconds", str(seconds)],
        cwd=ROOT, check=True, capture_output=True, timeout=seconds + 120,
    )  # fmt: skip
    result: Figures = json.loads(done.stdout)
    return result


class _nginx:
    def __init__(self, ports: list[int]) -> None:
        self.proxy = Nginx(ports)

    def __enter__(self) -> Nginx:
        return self.proxy.start()

    def __exit__(self, *exc: object) -> None:
        self.proxy.stop()


def _median(found: list[Figures]) -> Figures:
    """Per figure, the median over the rounds."""
    return {key: statistics.median(run[key] for run in found) for key in found[0]}


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes (replicas and nginx masters
    with their workers): a cost per call that other work on the machine does not change."""
    total = 0
    for pid in pids:
        for task in _with_children(pid):
            fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _with_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found.extend(_with_children(int(child)))
    return found


def _pid(replica: Replica) -> int:
    assert replica.process is not None
    return replica.process.pid


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.2f} ms"


if __name__ == "__main__":
    figures = replicas("--small" in sys.argv)
    print(json.dumps(figures, indent=2), file=sys.stderr)
