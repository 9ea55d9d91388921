#!/usr/bin/env python3
"""Generates strict_json_corpus.json: JSON documents and what Python's `json` module makes of
them, for StrictJSONTests (Tests/ControlPlaneProtocolTests) to hold StrictJSON against.

Only cases where Python's semantics equal Go's encoding/json (and StrictJSON's) belong here.
Python differs on: NaN/Infinity (accepted by default; rejected below through parse_constant),
lone surrogate escapes (kept; Go substitutes U+FFFD), integers beyond Int64 (kept exact;
StrictJSON makes them doubles), 1e400 (inf; Go rejects), deep nesting (recursion limit 1000;
StrictJSON stops at 512). The script refuses such cases instead of recording them: they are
tested in Swift directly.

Values are recorded in a tagged form that keeps integers apart from floats:
  ["null"], ["bool", b], ["int", "digits"], ["float", "repr"], ["string", s],
  ["array", [tagged...]], ["object", {key: tagged}]

Usage: python3 gen_strict_json_corpus.py            (rewrites strict_json_corpus.json)
       python3 gen_strict_json_corpus.py --stdout   (prints it; the Swift test compares)
"""
import json
import math
import os
import sys

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1

VALID = [
    ("int-one", b"1"),
    ("int-zero", b"0"),
    ("int-negative-zero", b"-0"),
    ("int-negative", b"-42"),
    ("int-large", b"123456789012"),
    ("int64-max", b"9223372036854775807"),
    ("int64-min", b"-9223372036854775808"),
    ("float-one-point-zero", b"1.0"),
    ("float-exponent", b"1e3"),
    ("float-exponent-upper", b"1E3"),
    ("float-exponent-plus", b"1E+2"),
    ("float-exponent-minus", b"15e-1"),
    ("float-negative-half", b"-0.5"),
    ("float-negative-zero", b"-0.0"),
    ("float-tenth", b"0.1"),
    ("float-zero-exponent", b"2.5e0"),
    ("float-underflow-to-zero", b"1e-400"),
    ("float-max", b"1.7976931348623157e308"),
    ("float-min-subnormal", b"5e-324"),
    ("true", b"true"),
    ("false", b"false"),
    ("null", b"null"),
    ("string-empty", b'""'),
    ("string-ascii", b'"hello"'),
    ("string-escape-u00e9", b'"caf\\u00e9"'),
    ("string-raw-utf8-e-acute", '"café"'.encode()),
    ("string-surrogate-pair", b'"\\ud83d\\ude00"'),
    ("string-surrogate-pair-upper-hex", b'"\\uD83D\\uDE00"'),
    ("string-raw-emoji", '"😀"'.encode()),
    ("string-simple-escapes", b'"\\"\\\\\\/\\b\\f\\n\\r\\t"'),
    ("string-escaped-nul", b'"a\\u0000b"'),
    ("string-raw-del", b'"a\x7fb"'),
    ("string-euro-escape", b'"\\u20AC"'),
    ("string-bmp-last", b'"\\uffff"'),
    ("string-raw-three-byte", '"€ 日本"'.encode()),
    ("whitespace-everywhere", b' \t\r\n{ "a" : [ 1 , 2 ] } \n\t'),
    ("empty-array", b"[]"),
    ("empty-object", b"{}"),
    ("empty-array-spaced", b"[ ]"),
    ("empty-object-spaced", b"{ \n }"),
    ("nested", b'{"a":{"b":[1,{"c":null}],"d":[[],{}]}}'),
    ("duplicate-key-last-wins", b'{"a":1,"a":2}'),
    ("duplicate-key-other-type", b'{"a":1,"b":2,"a":{"x":true}}'),
    ("escaped-key", b'{"\\u0041":1,"A\\n":2}'),
    ("mixed-array", b'[1,1.0,"1",true,null,[1],{"1":1}]'),
    ("nesting-100", b"[" * 100 + b"]" * 100),
    ("command-frame", b'{"type":"command","timestamp":"2025-12-04T13:11:05.123456789-07:00",'
                      b'"payload":{"commandId":"cmd-1","action":"stop_session",'
                      b'"payload":{"sessionId":"alice-firefox-1a2b3c4d","deletePVC":true}}}'),
    ("heartbeat-frame", b'{"type":"heartbeat","payload":{"status":"online","activeSessions":3,'
                        b'"capacity":{"maxSessions":10,"cpu":"8","memory":"16Gi"}}}'),
]

INVALID = [
    ("empty", b""),
    ("only-whitespace", b" \n\t "),
    ("two-objects-space", b"{} {}"),
    ("two-objects-newline", b"{}\n{}"),
    ("array-then-number", b"[] 1"),
    ("two-numbers", b"1 2"),
    ("leading-zero", b"01"),
    ("negative-leading-zero", b"-01"),
    ("double-zero", b"00"),
    ("leading-zero-in-array", b"[01]"),
    ("minus-alone", b"-"),
    ("minus-letter", b"-a"),
    ("plus-sign", b"+1"),
    ("leading-dot", b".5"),
    ("trailing-dot", b"1."),
    ("dot-exponent", b"1.e3"),
    ("exponent-without-digits", b"1e"),
    ("exponent-sign-without-digits", b"1e+"),
    ("hex-number", b"0x10"),
    ("underscore-number", b"1_000"),
    ("nan", b"NaN"),
    ("infinity", b"Infinity"),
    ("minus-infinity", b"-Infinity"),
    ("single-quotes", b"'a'"),
    ("trailing-comma-array", b"[1,]"),
    ("trailing-comma-object", b'{"a":1,}'),
    ("unquoted-key", b"{a:1}"),
    ("missing-colon", b'{"a" 1}'),
    ("missing-value", b'{"a":}'),
    ("missing-comma", b"[1 2]"),
    ("number-key", b"{1:2}"),
    ("truncated-true", b"tru"),
    ("true-with-junk", b"truee"),
    ("truncated-null", b"nul"),
    ("capital-true", b"True"),
    ("unterminated-string", b'"abc'),
    ("unterminated-after-surrogate", b'"\\ud83d'),
    ("backslash-at-end", b'"\\'),
    ("invalid-escape-x", b'"\\x41"'),
    ("short-u-escape", b'"\\u12"'),
    ("bad-hex-u-escape", b'"\\u12G4"'),
    ("capital-u-escape", b'"\\U0041"'),
    ("raw-tab-in-string", b'"a\tb"'),
    ("raw-newline-in-string", b'"a\nb"'),
    ("raw-control-01", b'"a\x01b"'),
    ("raw-control-1f", b'"\x1f"'),
    ("invalid-utf8-ff", b'"\xff"'),
    ("invalid-utf8-truncated", b'"\xc3"'),
    ("invalid-utf8-overlong-slash", b'"\xc0\xaf"'),
    ("invalid-utf8-encoded-surrogate", b'"\xed\xa0\x80"'),
    ("invalid-utf8-outside-string", b"\xff"),
    ("utf8-bom", b"\xef\xbb\xbf{}"),
    ("form-feed-whitespace", b"\x0c1"),
    ("vertical-tab-whitespace", b"\x0b1"),
    ("nbsp-whitespace", b"\xc2\xa01"),
    ("unclosed-array", b"["),
    ("unclosed-object", b"{"),
    ("unclosed-object-member", b'{"a":1'),
    ("unclosed-array-element", b"[1"),
    ("block-comment", b"/* c */ 1"),
    ("line-comment", b"// c\n1"),
    ("closing-without-opening", b"]"),
    ("mismatched-brackets", b"[}"),
]


def reject_constant(name):
    raise ValueError("constant " + name)


def tagged(value):
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise SystemExit("integer beyond Int64: not a case where Python and Go agree")
        return ["int", str(value)]
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise SystemExit("non-finite float: not a case where Python and Go agree")
        return ["float", repr(value)]
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise SystemExit("lone surrogate: Go substitutes U+FFFD, Python keeps it")
        return ["string", value]
    if isinstance(value, list):
        return ["array", [tagged(v) for v in value]]
    return ["object", {k: tagged(v) for k, v in value.items()}]


def python_reading(data):
    """(valid, tagged value) as Python reads the bytes: strict UTF-8, then json.loads."""
    try:
        text = data.decode("utf-8")
        return True, tagged(json.loads(text, parse_constant=reject_constant))
    except (UnicodeDecodeError, ValueError):
        return False, None


def corpus():
    cases = []
    for expect_valid, group in ((True, VALID), (False, INVALID)):
        for name, data in group:
            valid, value = python_reading(data)
            if valid != expect_valid:
                raise SystemExit(f"{name}: Python says valid={valid}, the corpus says {expect_valid}")
            case = {"name": name, "input_hex": data.hex(), "valid": valid}
            if valid:
                case["value"] = value
            cases.append(case)
    names = [c["name"] for c in cases]
    if len(names) != len(set(names)):
        raise SystemExit("duplicate case names")
    return {
        "generator": "Tests/Fixtures/control-plane/gen_strict_json_corpus.py (Python json module, "
                     + "strict UTF-8, NaN/Infinity rejected)",
        "cases": cases,
    }


def main():
    text = json.dumps(corpus(), indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
    else:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "strict_json_corpus.json")
        with open(path, "w", encoding="ascii") as f:
            f.write(text)


if __name__ == "__main__":
    main()
