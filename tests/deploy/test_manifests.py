"""The Kubernetes manifest, checked offline against the official OpenAPI schemas.

kubernetes-validate ships the JSON schemas generated from Kubernetes' own OpenAPI
documents, per version; `strict` also refuses fields the schema does not define (a
typo such as `readinessProbes` would otherwise pass silently).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "oms-cds.yaml"
KUBERNETES = "1.34"


def documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc]


def kind(name: str) -> dict[str, Any]:
    [found] = [doc for doc in documents() if doc["kind"] == name]
    return found


@pytest.mark.parametrize("document", documents(), ids=lambda d: d["kind"])
def test_each_resource_is_valid_for_kubernetes(document: dict[str, Any]) -> None:
    assert kubernetes_validate.validate(document, KUBERNETES, strict=True)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda d: d["spec"].update(replicas="two"), id="wrong-type"),
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinessProbes={}),
            id="unknown-field",
        ),
        pytest.param(lambda d: d["spec"].pop("selector"), id="missing-required"),
    ],
)
def test_the_check_refuses_a_broken_deployment(breakage: Any) -> None:
    broken = copy.deepcopy(kind("Deployment"))
    breakage(broken)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_deployment_runs_replicas_with_probes_and_the_database_from_a_secret() -> None:
    deployment = kind("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = {e["name"]: e for e in container["env"]}
    assert env["OMS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "oms-cds-database"
    assert "value" not in env["OMS_DATABASE_URL"]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert kind("PodDisruptionBudget")["spec"]["minAvailable"] >= 1
