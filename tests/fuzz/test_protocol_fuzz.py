"""The protocol decoder: any frames give a valid Request or a ProtocolError (never another exception)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from mgs_core.errors import ServerError
from mgs_core.server import protocol
from mgs_core.server.protocol import ERROR_CODES, Limits, ProtocolError, Request
from tests.fuzz.strategies import headers, json_values, messages

LIM = Limits(roi_size=32, max_rois=4)


@settings(max_examples=400)
@given(messages())
def test_decode_request_gives_a_request_or_a_protocol_error(frames):
    try:
        req = protocol.decode_request(frames, LIM)
    except ProtocolError as exc:
        assert exc.code in ERROR_CODES and str(exc)
        assert exc.request_id is None or isinstance(exc.request_id, str)
        return
    assert isinstance(req, Request) and req.type in protocol.REQUEST_TYPES
    if req.type == "infer":
        assert 1 <= req.n_crops <= LIM.max_rois and req.crops.shape[1:] == (32, 32, 3)


@settings(max_examples=200)
@given(headers())
def test_prescan_never_raises_anything_but_protocol_error(raw):
    try:
        protocol.prescan_header(raw[:protocol.MAX_HEADER_BYTES])
    except ProtocolError:
        pass


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=200) | json_values.map(lambda v: __import__("json").dumps(v).encode()),
                min_size=0, max_size=3))
def test_decode_reply_gives_a_reply_or_a_server_error(frames):
    try:
        reply = protocol.decode_reply(frames)
    except ServerError:
        return
    assert isinstance(reply.ok, bool)


crop_fields = st.fixed_dictionaries({k: json_values for k in ("eye_visible", "eye_x", "eye_y", "score", "confidence",
                                                              "eye_area_px", "status", "eye_length", "scorability")})
near_valid_replies = st.fixed_dictionaries({
    "protocol": st.sampled_from([protocol.PROTOCOL_VERSION, 1]), "request_id": st.none() | st.text(max_size=5),
    "ok": st.booleans(), "type": st.sampled_from(["infer", "info", "health", "x"]), "model": json_values,
    "results": st.lists(crop_fields, max_size=3) | json_values,
    "info": st.fixed_dictionaries({"backend": json_values, "device": json_values, "roi_size": json_values}) | json_values,
    "health": st.dictionaries(st.sampled_from(["status", "uptime_s", "requests", "busy"]), json_values),
    "code": json_values, "error": json_values})


@settings(max_examples=150)
@given(near_valid_replies)
def test_near_valid_replies_give_a_reply_or_a_server_error(d):
    import json

    try:
        protocol.decode_reply([json.dumps(d).encode()])
    except ServerError:
        pass


def test_huge_numbers_in_a_reply_are_a_server_error():
    import json

    import pytest

    info = {"backend": "x", "device": "cpu", "roi_size": 1e400}
    crop = {"eye_visible": True, "eye_x": 10 ** 400, "eye_y": 1.0, "score": 1.0, "confidence": 1.0,
            "eye_area_px": 1, "status": "scored", "eye_length": None, "scorability": 1.0}
    for body in ({"type": "info", "info": info}, {"type": "infer", "results": [crop]}):
        raw = json.dumps({"protocol": protocol.PROTOCOL_VERSION, "request_id": "r", "ok": True, **body})
        with pytest.raises(ServerError):
            protocol.decode_reply([raw.replace("Infinity", "1e400").encode()])
