"""Validate a 360Giving package against the official schema (1.4.3), copied into pipeline/schema/360giving/.

Two traps (see that folder's README): the schemas name their dialect with `http://…/2020-12/schema`, which
`referencing` does not recognise, so the dialect is given explicitly; and formats must be asserted, or a
correct `awardDate` matches both branches of its `oneOf` and fails while a malformed one passes. The package
schema's `$ref` to the grant schema's URL resolves to the local file — never fetched over the network.

Needs `jsonschema`, `referencing` and `rfc3339-validator` (imported here only, not by the web pages).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schema" / "360giving"


@cache
def package_validator():
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    grant_schema = json.loads((SCHEMA_DIR / "360-giving-schema.json").read_text())
    package_schema = json.loads((SCHEMA_DIR / "360-giving-package-schema.json").read_text())

    def refuse_remote(uri: str):
        raise LookupError(f"360Giving schema reference {uri} is not stored locally")

    registry = Registry(retrieve=refuse_remote).with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in (grant_schema, package_schema)
    )
    return Draft202012Validator(package_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def package_errors(package: dict) -> list[str]:
    """Every schema violation in the package, as `path: message` strings (empty when valid)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(package)'}: {error.message}"
        for error in sorted(package_validator().iter_errors(package), key=lambda e: list(map(str, e.absolute_path)))
    ]
