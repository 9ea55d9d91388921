"""Checks Docs/schemas and the fixture documents with the reference validator.

Python's `jsonschema` (draft 2020-12, formats asserted) validates every file of
Tests/Fixtures/schema-examples/{valid,invalid}/<schema>-<what>.json against Docs/schemas/<schema>.schema.json.
SchemaTests.swift runs the same files through the agent's Swift validator and checks the same
expectations, so the two validators are shown to agree on the same inputs:

- every valid/ file has no violation;
- every invalid/ file has violations, exactly at the instance paths (JSON pointers) that
  expected-paths.json lists for it.

The "uri" format needs `rfc3987` or `rfc3986-validator` installed (jsonschema skips the format
otherwise); without either, the fixtures that only a uri check rejects are skipped, not passed.

Run: python3 -m pytest Tests/schema_crosscheck.py
"""

import json
import pathlib
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "Docs" / "schemas"
FIXTURES = ROOT / "Tests" / "Fixtures" / "schema-examples"
SUFFIX = ".schema.json"

SCHEMAS = {
    path.name[: -len(SUFFIX)]: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(SCHEMA_DIR.glob("*" + SUFFIX))
}
EXPECTED_NAMES = {
    "session-spec", "session-status", "session-list", "stop-request", "describe",
    "node-metrics", "session-metrics", "health", "log-request", "error",
}
REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values()
)
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
EXPECTED_PATHS = json.loads((FIXTURES / "expected-paths.json").read_text(encoding="utf-8"))


def validator(name):
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY, format_checker=FORMAT_CHECKER)


def schema_name(fixture):
    """The schema a fixture is for: the longest schema name its file name starts with."""
    stem = fixture.stem
    names = [name for name in SCHEMAS if stem.startswith(name + "-")]
    assert names, f"{fixture.name}: the name must start with a schema name and '-'"
    return max(names, key=len)


def pointer(error):
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in error.absolute_path)


def violation_paths(fixture):
    document = json.loads(fixture.read_text(encoding="utf-8"))
    return sorted({pointer(error) for error in validator(schema_name(fixture)).iter_errors(document)})


def fixtures(kind):
    files = sorted((FIXTURES / kind).glob("*.json"))
    return pytest.mark.parametrize("fixture", files, ids=[file.stem for file in files])


def test_the_ten_schemas_are_there_and_well_formed():
    assert set(SCHEMAS) == EXPECTED_NAMES
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://streamspace.io/schemas/driver/v1/{name}{SUFFIX}"
        assert schema.get("title") and schema.get("description"), name


def test_every_property_has_a_description():
    def walk(schema, where):
        if not isinstance(schema, dict):
            return
        for key, sub in schema.get("properties", {}).items():
            assert sub.get("description"), f"{where}/properties/{key} has no description"
            walk(sub, f"{where}/properties/{key}")
        for keyword in ("items", "additionalProperties"):
            walk(schema.get(keyword), f"{where}/{keyword}")
        for key, sub in schema.get("$defs", {}).items():
            walk(sub, f"{where}/$defs/{key}")

    for name, schema in SCHEMAS.items():
        walk(schema, name)


def test_domain_objects_accept_unknown_fields():
    """Readers ignore unknown fields: no schema may close an object."""

    def walk(schema, where):
        if isinstance(schema, dict):
            assert schema.get("additionalProperties") is not False, f"{where} forbids unknown fields"
            for key, sub in schema.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(schema, list):
            for index, sub in enumerate(schema):
                walk(sub, f"{where}/{index}")

    for name, schema in SCHEMAS.items():
        walk(schema, name)


def test_session_id_pattern_is_the_same_everywhere():
    pattern = SCHEMAS["session-spec"]["properties"]["id"]["pattern"]
    for name, schema in SCHEMAS.items():
        session_id = schema.get("properties", {}).get("sessionId")
        if session_id is not None:
            assert session_id["pattern"] == pattern, name


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_examples_are_valid(name):
    examples = SCHEMAS[name].get("examples", [])
    assert examples, f"{name} has no examples"
    for example in examples:
        assert list(validator(name).iter_errors(example)) == []


@fixtures("valid")
def test_valid_fixture(fixture):
    assert violation_paths(fixture) == []


@fixtures("invalid")
def test_invalid_fixture(fixture):
    expected = EXPECTED_PATHS.get(fixture.name)
    assert expected is not None, f"expected-paths.json has no entry for {fixture.name}"
    if "-not-uri-" in fixture.name and "uri" not in FORMAT_CHECKER.checkers:
        pytest.skip("jsonschema checks format uri only with rfc3987 or rfc3986-validator installed")
    if "-date-time-" in fixture.name and "date-time" not in FORMAT_CHECKER.checkers:
        pytest.skip("jsonschema checks format date-time only with rfc3339-validator installed")
    assert violation_paths(fixture) == expected


def test_expected_paths_name_only_existing_fixtures():
    names = {file.name for file in (FIXTURES / "invalid").glob("*.json")}
    assert set(EXPECTED_PATHS) == names


def test_fixture_names_follow_the_convention():
    for kind in ("valid", "invalid"):
        for fixture in (FIXTURES / kind).glob("*.json"):
            assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*\.json", fixture.name), fixture.name
            schema_name(fixture)
