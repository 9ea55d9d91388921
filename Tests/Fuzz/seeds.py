#!/usr/bin/env python3
"""Writes each fuzz target's seed corpus, from the golden fixtures, into OUT/<target>/, and a
libFuzzer dictionary, OUT/<target>.dict, of the JSON keys and short strings those seeds hold.

Usage: seeds.py OUT. Called by Scripts/fuzz.sh; the seeds are rebuilt on every run, so they
follow the fixtures. Inputs a fuzzer once crashed on (Tests/Fixtures/fuzz/<target>/) are seeds too.
The dictionary matters: the parsers compare keys in Swift's (uninstrumented) runtime, so the
fuzzer cannot learn a name like "streamspace.io/session" from the comparisons; it can insert it.
"""
import hashlib
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests" / "Fixtures"
out = pathlib.Path(sys.argv[1])


tokens = {}


def strings(value):
    """The object keys and short string values in a JSON value, as they are written in JSON."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield key
            yield from strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from strings(member)
    elif isinstance(value, str) and len(value) <= 40:
        yield value


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    try:
        found = {json.dumps(text, ensure_ascii=False) for text in strings(json.loads(data))}
    except ValueError:
        return
    tokens.setdefault(target, set()).update(found)


def dictionary_entry(token):
    escaped = "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else "\\x%02X" % b for b in token.encode("utf-8", "surrogatepass"))
    return '"%s"' % escaped


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# The frame splitter and envelope decoder: real-server command messages, one per frame and
# several batched in one, and every document of the strict JSON corpus.
starts = [json.loads(p.read_text()) for p in sorted((fixtures / "control-plane/start_session").glob("*.json"))]
messages = [compact(s["message"]) for s in starts]
for message in messages:
    write("FuzzFrame", message)
write("FuzzFrame", "\n".join(messages[:3]) + "\r\n")
for case in json.loads((fixtures / "control-plane/strict_json_corpus.json").read_text())["cases"]:
    write("FuzzFrame", bytes.fromhex(case["input_hex"]))

# The start-payload translation: each command's own payload.
for start in starts:
    write("FuzzStartPayload", compact(start["message"]["payload"]["payload"]))

# The schema validator: every valid and invalid example.
for path in sorted((fixtures / "schema-examples").glob("*/*.json")):
    if path.name != "expected-paths.json":
        write("FuzzSchema", path.read_bytes())

# The drivers' parsers: the real captures, whole, and the list entries and event lines alone.
for path in sorted((fixtures / "docker").rglob("*.json")):  # errors/ too
    write("FuzzDockerResponses", path.read_bytes())
for entry in json.loads((fixtures / "docker/containers-list.json").read_text()):
    write("FuzzDockerResponses", compact(entry))
for line in (fixtures / "docker/events.jsonl").read_bytes().splitlines():
    write("FuzzDockerResponses", line)
logs = (fixtures / "docker/logs-multiplexed.bin").read_bytes()
for piece in (0, 3, 8, 255):  # the first byte is the size the fuzzer cuts the stream into, less one
    write("FuzzDockerLogs", bytes([piece]) + logs)
for path in sorted((fixtures / "lxd").rglob("*.json")):
    write("FuzzLXDResponses", path.read_bytes())
for instance in json.loads((fixtures / "lxd/instances-recursion-2.json").read_text())["metadata"]:
    write("FuzzLXDResponses", compact(instance))

# The port list label and key, as the captures hold them.
for capture in ["docker/containers-list.json", "lxd/instances-recursion-1.json"]:
    for text in strings(json.loads((fixtures / capture).read_text())):
        if "=" in text and "/" in text:
            write("FuzzPortList", text)

for folder in sorted((fixtures / "fuzz").glob("*/")):
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != "README.md":
            write(folder.name, path.read_bytes())

for target, found in tokens.items():
    entries = sorted(found) + ["{", "}", "[", "]", ":", ",", "null", "true", "false", "-1", "1e308", "\\u0000"]
    (out / (target + ".dict")).write_text("".join(dictionary_entry(t) + "\n" for t in entries))
