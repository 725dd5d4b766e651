#!/usr/bin/env python3
"""Golden data for engine/chat/python_json: what Python's json.dumps writes, as transformers' `tojson` calls it
(ensure_ascii=False, key order kept, separators ", " and ": "). Needs only the standard library.

Writes into golden/ (next to this script):
  float_repr.tsv     one line per double: float.hex(x) TAB json.dumps(x); random doubles over the whole exponent
                     range plus edge values (0, -0, subnormals, powers of ten around the 1e-4 / 1e16 switches)
  json_values.json   input values (a JSON array)
  json_dumps.txt     json.dumps of each input value, one per line, in the same order

    python3 tests/reference/chat/make_json_golden.py
"""
import json
import math
import pathlib
import random
import struct

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "golden"


def floats():
    rng = random.Random(20261130)
    values = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 0.2, 0.3,
              1 / 3, 2 / 3, 100.0, 1e15, 1e16, 1e17, 9999999999999998.0, 1e-4, 1e-5, 0.00011, 0.000099,
              123456789012345678.0, 1.5, -2.5e-05, 4.35, 0.30000000000000004]
    for e in range(-20, 21):
        values += [10.0 ** e, 1.5 * 10.0 ** e, -(10.0 ** e) * 7.0]
    for _ in range(3000):  # uniform over the bit patterns: every exponent, full mantissas
        bits = rng.getrandbits(64)
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if math.isfinite(x):
            values.append(x)
    for _ in range(2000):  # everyday magnitudes with short and long digit strings
        values.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 12)))
        values.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-8, 20))
    return values


def json_values():
    return [
        "plain", "", "quote \" backslash \\ slash /", "\b\f\n\r\t", "".join(chr(c) for c in range(0x20)),
        "\x7f\x80\x85\xa0\u2028\u2029\ufeff", "日本語 العربية 👩‍👩‍👧 é", "<tags> & 'apostrophes'",
        {"b": 1, "a": [True, False, None], "c": {"": {}}, "d": []},
        [1, -1, 0, 9007199254740993, -9223372036854775808, 18446744073709551615, 1.0, -0.0, 1e300, 2.5e-05],
        {"name": "t", "parameters": {"type": "object", "properties": {"x": {"type": "number", "default": 0.1}}}},
    ]


def main():
    OUT.mkdir(exist_ok=True)
    with open(OUT / "float_repr.tsv", "w", encoding="utf-8", newline="\n") as f:
        for x in floats():
            f.write(f"{x.hex()}\t{json.dumps(x)}\n")
    values = json_values()
    (OUT / "json_values.json").write_text(json.dumps(values, ensure_ascii=True) + "\n", encoding="utf-8")
    with open(OUT / "json_dumps.txt", "w", encoding="utf-8", newline="\n") as f:
        for v in values:
            f.write(json.dumps(v, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
