#!/usr/bin/env python3
"""Embeds the driver JSON Schemas in the agent.

Docs/schemas/*.schema.json is the source of truth (the vendor's reference). An installed agent has
no Docs/ folder, so this script copies every schema, byte for byte, into
Sources/AgentHost/Schema/DriverSchemas.swift as a raw string literal.

    Scripts/gen-schemas.py           rewrite DriverSchemas.swift
    Scripts/gen-schemas.py --check   exit 1 if DriverSchemas.swift is stale (for CI)

Run it after every change to Docs/schemas; SchemaTests also fails while the copies differ.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "Docs" / "schemas"
OUTPUT = ROOT / "Sources" / "AgentHost" / "Schema" / "DriverSchemas.swift"
SUFFIX = ".schema.json"


def raw_literal(text: str) -> str:
    """A Swift multi-line raw string literal whose value is exactly `text`."""
    hashes = "#"
    # Neither the closing delimiter nor an escape introducer may occur inside the text.
    while f'"""{hashes}' in text or f"\\{hashes}" in text:
        hashes += "#"
    return f'{hashes}"""\n{text}\n"""{hashes}'


def render() -> str:
    files = sorted(SCHEMAS.glob("*" + SUFFIX))
    if not files:
        sys.exit(f"gen-schemas: no *{SUFFIX} in {SCHEMAS}")
    entries = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "\r" in text:
            sys.exit(f"gen-schemas: {path.name} has CR line endings; use LF")
        name = path.name[: -len(SUFFIX)]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            sys.exit(f"gen-schemas: {path.name}: schema names are lowercase words joined by '-'")
        entries.append(f'        (name: "{name}", text: {raw_literal(text)}),')
    return len(files), (
        "// generated from Docs/schemas by Scripts/gen-schemas.py — do not edit\n"
        "//\n"
        "// The driver ABI v1 JSON Schemas, embedded because an installed agent has no Docs/ folder.\n"
        "// Edit Docs/schemas/<name>.schema.json, then run Scripts/gen-schemas.py.\n"
        "\n"
        "enum DriverSchemas {\n"
        "    /// Every Docs/schemas/<name>.schema.json, by name, with its exact text.\n"
        "    static let all: [(name: String, text: String)] = [\n"
        + "\n".join(entries)
        + "\n    ]\n}\n"
    )


def main() -> int:
    count, generated = render()
    if "--check" in sys.argv[1:]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != generated:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run Scripts/gen-schemas.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(generated, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({count} schemas)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
