"""[9] The course of treatment on a long record: 10,000 resources, 1,000 of them medication
records (100 prednisolone orders the checklist follows, 900 other drugs it counts as not
classified), a patient who meets the criteria (the course is read).

- `$oms-assess` over HTTP / `orjson.loads` of the same bytes (medians; target <= 1.3x);
- patient-view with the medication records as prefetch / `$oms-assess` of the same
  resources as a Bundle (p50 and p95; target <= 1.2x).
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from typing import Any

import orjson

from bench.benchmarks import FULL, MB, Figures, Sizes, ms, say, timed
from bench.data import EHR_BASE, patient_view_case
from bench.patient_view import _alternate, paired
from bench.server import Server, connect, post

Json = dict[str, Any]
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
#: Prednisolone (an agent the checklist tracks) and amoxicillin (one it does not).
TRACKED = (RXNORM, "8638", "prednisolone")
UNTRACKED = (RXNORM, "723", "amoxicillin")


def course_case(resources: int, medications: int) -> tuple[bytes, bytes]:
    """(patient-view request, `$oms-assess` Bundle): `patient_view_case` with every
    `resources // medications`-th Observation made a MedicationRequest (one in ten of
    them prednisolone), carried as the `medicationRequests` prefetch."""
    hook_bytes, bundle_bytes = patient_view_case(resources)
    hook, bundle = orjson.loads(hook_bytes), orjson.loads(bundle_bytes)
    step = max(1, resources // medications)
    made: dict[str, Json] = {}
    for n, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        if resource["resourceType"] != "Observation" or n % step or len(made) >= medications:
            continue
        if resource["id"].startswith("bench-"):
            continue  # keep the criterion hits
        system, code, display = TRACKED if len(made) % 10 == 0 else UNTRACKED
        request = {
            "resourceType": "MedicationRequest",
            "id": resource["id"],
            "status": "active" if len(made) % 10 == 0 else "completed",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": system, "code": code, "display": display}]
            },
            "subject": resource["subject"],
            "authoredOn": "2026-10-01",
        }
        made[resource["id"]] = request
        entry["resource"] = request
        entry["fullUrl"] = f"{EHR_BASE}/MedicationRequest/{request['id']}"
    prefetch = hook["prefetch"]
    for key in ("observations", "observationsByValue"):
        kept = [e for e in prefetch[key].get("entry", []) if e["resource"]["id"] not in made]
        prefetch[key]["entry"], prefetch[key]["total"] = kept, len(kept)
    prefetch["medicationRequests"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(made),
        "entry": [
            {"fullUrl": f"{EHR_BASE}/MedicationRequest/{r['id']}", "resource": r}
            for r in made.values()
        ],
    }
    for key in (
        "medicationAdministrations",
        "medicationStatements",
        "procedures",
        "serviceRequests",
        "diagnosticReports",
    ):
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    return orjson.dumps(hook), orjson.dumps(bundle)


#: Rounds of [9]'s ratio (a baseline parse and a call each).
COURSE_ROUNDS = 21


def course(sizes: Sizes, server: Server) -> Figures:
    resources = sizes.course_resources
    medications = resources // 10
    say(
        f"[9] the course of treatment: {resources:,} resources, {medications:,} medication"
        " records (the checklist follows 1 in 10)"
    )
    hook, bundle = course_case(resources, medications)
    conn = connect(server.port)
    try:
        status, answer, _ = post(conn, "/fhir/$oms-assess", bundle)
        if status != 200 or b'"in-progress"' not in answer:
            raise RuntimeError(f"$oms-assess answered {status} without a followed course")
        # Baseline and call alternated, round by round, so that other work on the machine
        # weighs on both alike (one after the other, their medians moved by 20%).
        parses: list[float] = []
        calls: list[float] = []
        deadline = time.perf_counter() + 40.0
        for _ in range(COURSE_ROUNDS if sizes is FULL else 3):
            parses += timed(partial(orjson.loads, bundle), 1, 20.0)
            calls += timed(partial(post, conn, "/fhir/$oms-assess", bundle), 1, 20.0)
            if time.perf_counter() > deadline:
                break
        parse, http = statistics.median(parses), statistics.median(calls)
    finally:
        conn.close()
    times = _alternate(server.port, hook, bundle, sizes)
    view, assess = times["patient-view"], times["$oms-assess"]
    out: Figures = {
        "resources": resources, "medications": medications, "bundle_bytes": len(bundle),
        "rounds": len(calls), "parse_s": parse, "http_s": http, "ratio": http / parse,
        **paired("hook", view, "assess", assess, ratio="hook_ratio"),
    }  # fmt: skip
    say(
        f"    $oms-assess {ms(http)} | orjson.loads {ms(parse)} of {len(bundle) / MB:.1f} MB"
        f" (medians of {len(calls)} alternated rounds) -> {out['ratio']:.2f}x (target <= 1.3x)"
    )
    say(
        f"    patient-view p50 {ms(out['hook_p50_s'])} p95 {ms(out['hook_p95_s'])} |"
        f" $oms-assess p50 {ms(out['assess_p50_s'])} p95 {ms(out['assess_p95_s'])} ->"
        f" p50 {out['hook_ratio_p50']:.2f}x p95 {out['hook_ratio_p95']:.2f}x (target <= 1.2x)"
    )
    return out
