"""The product-to-ingredient ConceptMap is what its script generates from the vendored source."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service.defaults import PROFILES_DIR

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate-rxnorm-conceptmap"
FSH = ROOT / "profiles" / "input" / "fsh" / "conceptmap-rxnorm-products.fsh"
AGENT_VALUE_SETS = ("corticosteroid", "acth", "ivig", "disease-modifying")


def _built() -> dict:  # type: ignore[type-arg]
    return json.loads((PROFILES_DIR / "ConceptMap-oms-rxnorm-product-ingredient.json").read_text())


def test_committed_conceptmap_is_what_the_script_generates() -> None:
    generated = subprocess.run(
        [sys.executable, str(SCRIPT), "--stdout"], capture_output=True, text=True, check=True
    ).stdout
    assert generated == FSH.read_text(encoding="utf-8")


def test_every_target_ingredient_is_in_an_agent_valueset() -> None:
    listed = {
        (include["system"], concept["code"])
        for name in AGENT_VALUE_SETS
        for include in json.loads((PROFILES_DIR / f"ValueSet-oms-agent-{name}.json").read_text())[
            "compose"
        ]["include"]
        for concept in include["concept"]
    }
    group = _built()["group"][0]
    targets = {(group["target"], t["code"]) for e in group["element"] for t in e["target"]}
    assert targets and targets <= listed


def test_conceptmap_names_its_source_and_maps_products_wider() -> None:
    concept_map = _built()
    assert "PEDSnet/Variable-Dictionary" in concept_map["description"]
    assert (
        "drugs/rx_2023_11_COVID19Medications_V1.csv at commit fad293ddce42"
        in concept_map["description"]
    )
    elements = concept_map["group"][0]["element"]
    assert {t["equivalence"] for e in elements for t in e["target"]} == {"wider"}
    assert all(e.get("display") for e in elements)
    assert len({e["code"] for e in elements}) == len(elements)
