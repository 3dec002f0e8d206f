"""The clinician app end to end: real browser, real authorization server, real FHIR server.

Started here, each on 127.0.0.1 on a free port, each stopped by its PID:
* the sandbox FHIR server (sekmet, `tests.contract.sandbox.Sandbox`), seeded with the
  OMS examples (high, moderate, low), a child in relapse with three agents over two
  episodes (`relapse.py`), a patient with no data, a Practitioner (the clinician) and the
  846-Observation Synthea patient;
* the test EHR (`ehr.mjs`): oidc-provider as a SMART 2.x authorization server, in front
  of the sandbox with a patient-compartment check; its node packages, Node 22 itself
  included (npm's `node` package), come from `npm ci` on package-lock.json;
* oms-cds itself (uvicorn), serving the app at /app;
* Debian's Chromium (`/usr/bin/chromium`), driven by Playwright; Playwright never
  downloads a browser here.

Without Chromium or node the tests fail, never skip: `make test` installs both
(scripts/install-system-packages).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.contract import seed
from tests.contract.conftest import _free_port
from tests.contract.sandbox import Sandbox
from tests.smart import relapse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = Path(os.environ.get("OMS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var" / "screenshots" / "smart"
#: The 846-Observation Synthea patient: the launch-to-render timing.
BIG_SYNTHEA = "Lawerence6_Baumbach677_ea8d2576-4a23-4906-c353-bfed5adb23bd.json"
FHIR_HEADERS = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}

Json = dict[str, Any]


def _need(ok: bool, what: str) -> None:
    """A missing tool fails the browser tests: a skip would pass without testing the app."""
    if not ok:
        pytest.fail(f"{what} is missing; make test installs it (scripts/install-system-packages)")


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, within: float = 60) -> None:
    """Poll until the server answers at all; a start-up wait, not a timing."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(f"{what} did not start within {within:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _node() -> str:
    """Node 22 from npm's `node` package (oidc-provider 9 wants 22), else the system's node."""
    bundled = HERE / "node_modules" / ".bin" / "node"
    return str(bundled) if os.access(bundled, os.X_OK) else "node"


@dataclass(frozen=True)
class Seeded:
    """Server ids of the seeded patients and of the clinician."""

    high: str
    moderate: str
    low: str
    certain: str
    relapse: str
    empty: str
    big: str
    practitioner: str


@dataclass(frozen=True)
class Stack:
    sandbox: Sandbox
    fhir: httpx.Client
    seeded: Seeded
    ehr_url: str
    service_url: str

    @property
    def ehr_fhir(self) -> str:
        return f"{self.ehr_url}/fhir"

    @property
    def launch_url(self) -> str:
        return f"{self.service_url}/app/launch.html"

    def ehr_launch(
        self, patient: str, *, need_patient_banner: bool = True, withhold: tuple[str, ...] = ()
    ) -> str:
        """The URL an EHR opens for an EHR launch: a launch context made at the EHR.

        `withhold`: resource types the EHR refuses to read for this launch's token (403)."""
        answer = httpx.post(
            f"{self.ehr_url}/_test/launch",
            json={
                "patient": patient,
                "need_patient_banner": need_patient_banner,
                "withhold": list(withhold),
            },
        ).json()
        return f"{self.launch_url}?iss={answer['iss']}&launch={answer['launch']}"

    def writes(self) -> dict[str, int]:
        counts: dict[str, int] = httpx.get(f"{self.ehr_url}/_test/writes").json()
        return counts

    def revoke_tokens(self) -> None:
        httpx.post(f"{self.ehr_url}/_test/revoke").raise_for_status()


#: Names for the example patients that have none, so the banner shows one.
NAMES = {"moderate": ("Leo", "Moreau"), "low": ("Ella", "Lowe"), "certain": ("Cora", "Certain")}
_CLINICAL = ("Patient", "Condition", "Observation")


def example_transaction(name: str, source: str | None = None) -> Json:
    """examples/<name>.json as a transaction of PUTs with ids `<name>-<n>`, references rewritten.

    Client-assigned ids keep the evidence references readable in the screenshots.
    The high patient gets an earlier opsoclonus Observation as well: OMS relapses and
    remits, and the timeline should show evidence spread over months. `certain` is the
    low example (`source`) with OMS recorded as a diagnosis (Orphanet 1183).
    """
    entries = [
        e
        for e in orjson.loads((seed.EXAMPLES / f"{source or name}.json").read_bytes())["entry"]
        if e["resource"]["resourceType"] in _CLINICAL
    ]
    renames: dict[str, str] = {}
    for n, entry in enumerate(entries):
        resource = entry["resource"]
        new = f"{resource['resourceType']}/{name}-{n}"
        for old in (entry.get("fullUrl"), f"{resource['resourceType']}/{resource.get('id')}"):
            if old:
                renames[old] = new
    text = orjson.dumps([e["resource"] for e in entries]).decode()
    for old, new in renames.items():
        text = text.replace(f'"reference":"{old}"', f'"reference":"{new}"')
    resources: list[Json] = orjson.loads(text)
    if name == "high":
        earlier = copy.deepcopy(next(r for r in resources if r["resourceType"] == "Observation"))
        earlier["effectiveDateTime"] = "2026-06-02"
        resources.append(earlier)
    if name == "certain":
        subject = next(r for r in resources if r["resourceType"] == "Condition")["subject"]
        resources.append(
            {
                "resourceType": "Condition",
                "code": {"coding": [{"system": "https://www.orpha.net", "code": "1183"}]},
                "subject": subject,
                "recordedDate": "2026-09-15",
            }
        )
    out = []
    for n, resource in enumerate(resources):
        resource["id"] = f"{name}-{n}"
        if resource["resourceType"] == "Patient" and name in NAMES:
            given, family = NAMES[name]
            resource["name"] = [{"given": [given], "family": family}]
        out.append(
            {
                "fullUrl": f"{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": out}


def _seed(fhir: httpx.Client) -> Seeded:
    ids = {}
    for name, source in (("high", None), ("moderate", None), ("low", None), ("certain", "low")):
        locations = seed.post_transaction(fhir, example_transaction(name, source))
        ids[name] = next(loc.id for loc in locations if loc.resource_type == "Patient")
    seed.post_transaction(fhir, relapse.transaction(relapse.Dates(date.today())))
    empty = fhir.post(
        "Patient",
        content=orjson.dumps(
            {
                "resourceType": "Patient",
                "name": [{"given": ["Nora"], "family": "Nodata"}],
                "gender": "female",
                "birthDate": "2024-03-01",
            }
        ),
    )
    practitioner = fhir.post(
        "Practitioner",
        content=orjson.dumps(
            {"resourceType": "Practitioner", "name": [{"given": ["Ada"], "family": "Neuro"}]}
        ),
    )
    big_bundle = orjson.loads((seed.SYNTHEA / BIG_SYNTHEA).read_bytes())
    seed.post_transaction(fhir, seed.synthea_support_transaction([big_bundle]))
    big = seed.post_transaction(fhir, big_bundle)[0]
    assert big.resource_type == "Patient"
    return Seeded(
        ids["high"],
        ids["moderate"],
        ids["low"],
        ids["certain"],
        "relapse-child",
        empty.json()["id"],
        big.id,
        practitioner.json()["id"],
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _need(CHROMIUM.exists(), str(CHROMIUM))
    _need(shutil.which("node") is not None and shutil.which("npm") is not None, "node/npm")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
    )
    sandbox = Sandbox(tmp_path_factory.mktemp("smart-sandbox"))
    sandbox.start()
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp_path_factory.mktemp("smart-logs")
    fhir = httpx.Client(base_url=sandbox.base_url + "/", headers=FHIR_HEADERS, timeout=120)
    try:
        seeded = _seed(fhir)
        service_port, ehr_port = _free_port(), _free_port()
        service_url = f"http://127.0.0.1:{service_port}"
        ehr_url = f"http://127.0.0.1:{ehr_port}"
        env = {
            **os.environ,
            "SMART_PRACTITIONER": f"Practitioner/{seeded.practitioner}",
            "SMART_CLIENT_ID": "oms-cds-test",
        }
        with (logs / "ehr.log").open("wb") as log:
            ehr = subprocess.Popen(
                [_node(), str(HERE / "ehr.mjs"), str(ehr_port), sandbox.base_url,
                 f"{service_url}/app/index.html"],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        processes.append(ehr)
        service_env = {
            **os.environ,
            "OMS_SMART_CLIENT_ID": "oms-cds-test",
            "OMS_FHIR_BASE_URL": sandbox.base_url,
            "OMS_CDS_INSECURE_DEV": "1",
            "OMS_CDS_DEV_FHIR_SERVERS": orjson.dumps([sandbox.base_url]).decode(),
            "OMS_CDS_FEEDBACK_DB": str(logs / "feedback.sqlite3"),
        }
        with (logs / "service.log").open("wb") as log:
            service = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.app:app", "--host", "127.0.0.1",
                 "--port", str(service_port), "--no-access-log"],
                stdout=log, stderr=subprocess.STDOUT, env=service_env, cwd=ROOT,
            )  # fmt: skip
        processes.append(service)
        _wait_http(f"{ehr_url}/.well-known/openid-configuration", ehr, "the test EHR")
        _wait_http(f"{service_url}/livez", service, "oms-cds")
        yield Stack(sandbox, fhir, seeded, ehr_url, service_url)
    finally:
        for process in reversed(processes):
            _stop(process)
        fhir.close()
        sandbox.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped: Playwright's sync API keeps an event loop running on this thread
    while it is open, and the tests after this package (`asyncio.run`) need it gone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh 1280x800 page; console errors are collected on `page.console_errors`."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    page.console_errors = errors  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()
