"""Validate sandbox answers against X's OpenAPI schemas (the committed subset of spec 2.166).

jsonschema does not know OpenAPI's `discriminator`, so each mapping becomes an if/then: a problem
whose `type` is ".../not-authorized-for-field" is checked against Problem *and*
FieldUnauthorizedProblem, a media object of type "video" against Media *and* Video.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

PREFIX = "#/components/schemas/"
SUBSET = json.loads(Path(__file__).with_name("x_openapi_subset.json").read_text())
SCHEMAS: dict[str, dict] = SUBSET["components"]["schemas"]
# The spec maps problem types on api.twitter.com only; X's 2026 answers mostly carry the same
# types on api.x.com (docs/x-api.md §9), which the sandbox sends: both are known here.
_PROBLEM_MAPPING = SCHEMAS["Problem"]["discriminator"]["mapping"]
_PROBLEM_MAPPING |= {
    uri.replace("https://api.twitter.com/", "https://api.x.com/"): target
    for uri, target in list(_PROBLEM_MAPPING.items())
}
PROBLEM_TYPES = frozenset(_PROBLEM_MAPPING)


def _with_discriminators(schemas: dict[str, dict]) -> dict[str, dict]:
    result = {}
    for name, schema in schemas.items():
        discriminator = schema.get("discriminator")
        if discriminator is None:
            result[name] = schema
            continue
        prop, branches = discriminator["propertyName"], []
        for value, target in discriminator["mapping"].items():
            own_parts = [
                part
                for part in schemas[target.removeprefix(PREFIX)].get("allOf", [])
                if part.get("$ref") != PREFIX + name
            ]
            if own_parts:
                branches.append(
                    {
                        "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                        "then": {"allOf": own_parts},
                    }
                )
        result[name] = {**schema, "allOf": [*schema.get("allOf", []), *branches]}
    return result


DOCUMENT = {"components": {"schemas": _with_discriminators(SCHEMAS)}}


@cache
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator({**DOCUMENT, "$ref": PREFIX + schema})


def assert_valid(body: object, schema: str) -> None:
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"not a valid {schema}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )


def assert_problem(body: dict) -> None:
    """A problem-details error body, with a `type` the spec knows."""
    assert_valid(body, "Problem")
    assert body["type"] in PROBLEM_TYPES, body["type"]


def assert_v1_errors(body: dict) -> None:
    """The v1.1 shape {"errors": [Error, …]} OAuth 1.0a failures use."""
    assert set(body) == {"errors"} and body["errors"]
    for error in body["errors"]:
        assert_valid(error, "Error")
