"""[12] `/healthz` during a 10,000-resource `GET /fhir/Patient/{id}/$oms-assess` (issue 20).

The service reads the patient from a real FHIR server, sekmet (`scripts/sandbox-fhir-server`,
the contract suite's server), seeded with the resources of `patient_view_case`: one Patient,
one Condition and 9,998 Observations. The service's caps are raised so that the whole record
is read page by page (ten pages of 1,000): the worst case for the event loop, which must stay
free while every page is read and parsed (the parse runs in a worker thread). Probes as in
[4] and [8]: every 20 ms, fresh connections, none waiting for another.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.benchmarks import Figures, failed_note, ms, say
from bench.data import patient_view_case
from bench.probes import INTERVAL, probe_during
from bench.server import ROOT, Server, free_port, get, peak_rss_bytes

SANDBOX = ROOT / "scripts" / "sandbox-fhir-server"
Json = dict[str, Any]
MB = 1024 * 1024


def healthz_during_server_read(resources: int) -> Figures:
    say(
        f"[12] GET /healthz every {INTERVAL * 1000:.0f} ms (fresh connections, not waiting)"
        f" during a {resources}-resource GET Patient/{{id}}/$oms-assess read from sekmet"
    )
    subprocess.run([str(SANDBOX), "install"], check=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    with tempfile.TemporaryDirectory(prefix="bench-sekmet-") as folder:
        log = (Path(folder) / "server.log").open("wb")
        sekmet = subprocess.Popen(
            [str(SANDBOX), "run", str(port), folder], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(base_url)
            patient_id, record_bytes = _seed(base_url, resources)
            limits = {
                "OMS_FHIR_BASE_URL": base_url,
                "OMS_FHIR_MAX_ENTRIES": str(resources * 2),
                "OMS_FHIR_READ_TIMEOUT": "120",
            }
            with Server(env=limits) as server:
                path = f"/fhir/Patient/{patient_id}/$oms-assess"
                get(server.port, "/healthz")
                idle_peak = peak_rss_bytes(server.pid)
                status, _ = get(server.port, path, timeout=180.0)  # warm-up and check
                read_peak = peak_rss_bytes(server.pid)
                if status != 200:
                    raise RuntimeError(f"Patient/{{id}}/$oms-assess answered {status}")
                idle = [get(server.port, "/healthz")[1] for _ in range(10)]
                probes, status = probe_during(
                    server.port, lambda: get(server.port, path, timeout=180.0)[0]
                )
                if status != 200:
                    raise RuntimeError(f"Patient/{{id}}/$oms-assess answered {status}")
        finally:
            sekmet.terminate()
            sekmet.wait(timeout=30)
            log.close()
    out: Figures = dict(probes.figures())
    out["idle_median_s"] = statistics.median(idle)
    out["record_bytes"] = record_bytes
    out["first_read_growth"] = read_peak - idle_peak
    say(
        f"    {out['probes']} probes during a {out['request_s']:.2f} s read and assessment:"
        f" median {ms(out['median_s'])}, p95 {ms(out['p95_s'])}, max {ms(out['max_s'])}"
        f"{failed_note(out)} (idle median {ms(out['idle_median_s'])}; target max <= 50 ms)"
    )
    say(
        f"    peak RSS growth of the first read (first-call costs included): "
        f"{out['first_read_growth'] / MB:.0f} MB, {out['first_read_growth'] / record_bytes:.2f}x"
        f" the record's {record_bytes / MB:.1f} MB as a Bundle (no target)"
    )
    return out


def _seed(base_url: str, resources: int) -> tuple[str, int]:
    """The case's resources stored with their own ids (a transaction of PUTs); the
    Patient's id and the bytes of the case as one Bundle."""
    _, bundle_bytes = patient_view_case(resources)
    bundle: Json = orjson.loads(bundle_bytes)
    entries = [
        {
            "resource": entry["resource"],
            "request": {
                "method": "PUT",
                "url": f"{entry['resource']['resourceType']}/{entry['resource']['id']}",
            },
        }
        for entry in bundle["entry"]
    ]
    [patient_id] = [
        e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient"
    ]
    with httpx.Client(base_url=base_url + "/", timeout=600) as client:
        for start in range(0, len(entries), 2_000):
            response = client.post(
                "",
                content=orjson.dumps(
                    {
                        "resourceType": "Bundle",
                        "type": "transaction",
                        "entry": entries[start : start + 2_000],
                    }
                ),
                headers={"Content-Type": "application/fhir+json"},
            )
            response.raise_for_status()
    return str(patient_id), len(bundle_bytes)


def _wait_ready(base_url: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/metadata", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"sekmet did not answer at {base_url}")
