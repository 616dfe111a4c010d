"""Hypothesis strategies shared by the fuzz tests: JSON-like values, protocol messages, CSV-ish text."""
from __future__ import annotations

import json

from hypothesis import strategies as st

from mgs_core.server.protocol import PROTOCOL_VERSION

scalars = st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=20)
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=8), c,
                                                                                          max_size=5), max_leaves=15)

VALID = {"protocol": PROTOCOL_VERSION, "type": "infer", "request_id": "r1", "shape": [1, 32, 32, 3], "dtype": "uint8"}
KEYS = list(VALID) + ["model", "extra"]


@st.composite
def headers(draw) -> bytes:
    """Header frames: valid ones with keys dropped or replaced by odd values, random JSON, nesting, junk bytes."""
    kind = draw(st.sampled_from(["mutated", "json", "nested", "bytes", "text"]))
    if kind == "mutated":
        h = dict(VALID)
        h["type"] = draw(st.sampled_from(["infer", "info", "health", "train", ""]))
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=3)):
            if draw(st.booleans()):
                h.pop(key, None)
            else:
                h[key] = draw(json_values)
        if draw(st.booleans()):
            h["shape"] = draw(st.lists(st.integers(-3, 300), max_size=6))
        return json.dumps(h, allow_nan=True).encode()
    if kind == "json":
        return json.dumps(draw(json_values), allow_nan=True).encode()
    if kind == "nested":
        depth = draw(st.integers(1, 3000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return (opener * depth + "1" + closer * draw(st.integers(0, depth))).encode()[:draw(st.integers(1, 5000))]
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=300))


@st.composite
def messages(draw) -> list[bytes]:
    """Whole requests: a header and 0-2 more frames of random length (sometimes exactly the declared size)."""
    frames = [draw(headers())]
    for _ in range(draw(st.integers(0, 2))):
        n = draw(st.sampled_from([0, 1, 32 * 32 * 3, 32 * 32 * 3 - 1, 2 * 32 * 32 * 3, 17]))
        frames.append(bytes([draw(st.integers(0, 255))]) * n)
    return frames


csv_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
