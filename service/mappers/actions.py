"""PlanDefinition actions as data: their applicability conditions and dynamic values are
inline FHIRPath, evaluated here (the one evaluator of the CarePlan and the track)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models as fhirpath_models

from service.errors import TerminologyError
from service.fhir_json import Json

FHIRPATH = "text/fhirpath"

Expression = Callable[[Json, Json], list[Any]]


def applies(action: Json, context: Json) -> bool:
    """Whether every applicability condition of the action holds, with `context` as the
    expressions' %variables."""
    for condition in action.get("condition", []):
        if condition.get("kind") != "applicability":
            continue
        result = _compiled(_expression_text(condition["expression"]))({}, context)
        if result != [True]:
            return False
    return True


def description(action: Json, context: Json) -> str:
    """The action's description, or the value its `description` dynamicValue yields."""
    text = str(action.get("description") or action.get("title") or "")
    for dynamic in action.get("dynamicValue", []):
        if dynamic.get("path") == "description":
            result = _compiled(_expression_text(dynamic["expression"]))({}, context)
            if len(result) != 1 or not isinstance(result[0], str):
                raise TerminologyError("a description dynamicValue must yield one string")
            text = result[0]
    return text


def _expression_text(expression: Json) -> str:
    if expression.get("language") != FHIRPATH or not isinstance(expression.get("expression"), str):
        raise TerminologyError("PlanDefinition expressions must be inline text/fhirpath")
    text: str = expression["expression"]
    return text


@cache
def _compiled(text: str) -> Expression:
    """Compile each expression once per process: compiling costs far more than running."""
    compiled: Expression = compile_fhirpath(text, fhirpath_models["r4"])
    return compiled
