#!/usr/bin/env python3
"""Checks sdk/spec/assignment-cases.json against a Python implementation of ASSIGNMENT.md.

Python's integers and str.encode('utf-8') share nothing with the JavaScript code that wrote the
file, and Python floats are IEEE doubles, so the cumulative sums match the specification's double
arithmetic. Lone surrogates become U+FFFD, as with the WHATWG UTF-8 encoder (TextEncoder).
Usage: python3 sdk/scripts/cross-check-assignment-cases.py
"""

import json
import math
import sys
from pathlib import Path

MASK = 0xFFFFFFFF


def utf8(text: str) -> bytes:
    """WHATWG UTF-8 of a string given as code points, some of which may be surrogates.

    Through UTF-16 code units: decoding joins each high + low surrogate pair into one code point
    and replaces every lone surrogate by U+FFFD, as TextEncoder does with a JavaScript string.
    """
    units = text.encode("utf-16-le", "surrogatepass")
    return units.decode("utf-16-le", "replace").encode("utf-8")


def fnv1a32(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & MASK
    return h


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    h ^= h >> 16
    return h


def variant(u: float, weights: list) -> int:
    total = 0.0
    for i, w in enumerate(weights):
        total += w
        if u < total:
            return i
    return len(weights) - 1


def is_error(u, weights) -> bool:
    if not isinstance(u, (int, float)) or isinstance(u, bool) or not 0 <= u < 1:
        return True
    if not weights:
        return True
    for w in weights:
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not math.isfinite(w) or w < 0:
            return True
    total = 0.0
    for w in weights:
        total += w
    return abs(total - 1) > 1e-6


def main() -> int:
    path = Path(__file__).resolve().parent.parent / "spec" / "assignment-cases.json"
    cases = json.loads(path.read_text(encoding="utf-8"))
    failures = []
    for case in cases["hash"]:
        data = utf8(case["visitorId"] + ":" + case["experimentKey"])
        h0 = fnv1a32(data)
        h = fmix32(h0)
        u = h / 2**32
        got = (data.hex(), h0, h, u)
        want = (case["utf8"], case["h0"], case["h"], case["u"])
        if got != want:
            failures.append(f"hash {case!r}: got {got!r}")
    for case in cases["loneSurrogates"]:
        visitor_id = "".join(chr(unit) for unit in case["visitorIdCodeUnits"])
        data = utf8(visitor_id + ":" + case["experimentKey"])
        h0 = fnv1a32(data)
        got = (data.hex(), h0, fmix32(h0), fmix32(h0) / 2**32)
        if got != (case["utf8"], case["h0"], case["h"], case["u"]):
            failures.append(f"loneSurrogates {case!r}: got {got!r}")
    for case in cases["choose"]:
        got = variant(case["u"], case["weights"])
        if got != case["variant"]:
            failures.append(f"choose {case!r}: got {got}")
    for case in cases["chooseErrors"]:
        if not is_error(case["u"], case["weights"]):
            failures.append(f"chooseErrors {case!r}: valid input")
    for case in cases["assignments"]:
        u = fmix32(fnv1a32(utf8(case["visitorId"] + ":" + case["experimentKey"]))) / 2**32
        got = (u, variant(u, case["weights"]))
        if got != (case["u"], case["variant"]):
            failures.append(f"assignment {case!r}: got {got!r}")
    for failure in failures:
        print(failure)
    counts = {key: len(cases[key]) for key in ("hash", "loneSurrogates", "choose", "chooseErrors", "assignments")}
    print(f"{'FAILED' if failures else 'ok'}: {counts}, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
