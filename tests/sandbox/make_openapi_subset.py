"""Regenerate tests/sandbox/x_openapi_subset.json from X's OpenAPI spec.

Source: X API v2 OpenAPI spec version 2.166, `openapi.json` of xdevplatform/docs at commit cb391259
(download it and pass its path). The subset is the $ref
closure of the response schemas the sandbox tests validate, plus every schema an OpenAPI
`discriminator` maps to from inside that closure (Problem and Media subtypes), so the tests can
check each problem and media object against its specific schema.

Run from the project root: `.venv/bin/python tests/sandbox/make_openapi_subset.py spec.json`.
The tests read only the generated subset, never the spec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("x_openapi_subset.json")
ROOTS = (
    "Get2UsersMeResponse",
    "Get2UsersIdTweetsResponse",
    "Get2TweetsResponse",
    "Get2TweetsIdResponse",
    "Get2UsageTweetsResponse",
    "Problem",
    "Error",
)
PREFIX = "#/components/schemas/"


def references(node: object) -> set[str]:
    """Names of the schemas a node points to, through $ref or a discriminator mapping."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            found.add(ref.removeprefix(PREFIX))
        for target in node.get("discriminator", {}).get("mapping", {}).values():
            found.add(target.removeprefix(PREFIX))
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def closure(schemas: dict[str, object], roots: tuple[str, ...]) -> dict[str, object]:
    wanted, pending = set(), list(roots)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(references(schemas[name]))
    return {name: schemas[name] for name in sorted(wanted)}


def main(spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    subset = {
        "x-source": "X API v2 OpenAPI spec 2.166 (xdevplatform/docs openapi.json at cb391259)",
        "x-generated-by": "tests/sandbox/make_openapi_subset.py",
        "x-roots": list(ROOTS),
        "openapi_version": spec["info"]["version"],
        "components": {"schemas": closure(spec["components"]["schemas"], ROOTS)},
    }
    OUTPUT.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")
    print(f"{OUTPUT}: {len(subset['components']['schemas'])} schemas")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_openapi_subset.py <X's openapi.json, spec 2.166>")
    main(Path(sys.argv[1]))
