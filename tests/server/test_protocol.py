import json

import numpy as np
import pytest

from mgs_core.errors import ServerError
from mgs_core.server import protocol
from mgs_core.server.protocol import PROTOCOL_VERSION, Limits, ProtocolError, ServerHealth
from mgs_core.types import CropResult, RunnerInfo

LIM = Limits(roi_size=32, max_rois=4)


def header(**kw):
    h = {"protocol": PROTOCOL_VERSION, "type": "infer", "request_id": "r1", "shape": [2, 32, 32, 3], "dtype": "uint8"}
    h.update(kw)
    return json.dumps({k: v for k, v in h.items() if v is not ...}).encode()


def data(n=2, s=32):
    return np.arange(n * s * s * 3, dtype=np.uint8).tobytes()


def test_round_trip_infer_request_is_zero_copy_view():
    crops = np.random.default_rng(0).integers(0, 255, (3, 32, 32, 3), dtype=np.uint8)
    frames = protocol.encode_request("infer", "abc", crops)
    assert frames[1] is crops or np.shares_memory(frames[1], crops)
    req = protocol.decode_request([frames[0], memoryview(crops.tobytes())], LIM)
    assert req.type == "infer" and req.request_id == "abc" and req.n_crops == 3
    np.testing.assert_array_equal(req.crops, crops)
    assert not req.crops.flags.writeable


@pytest.mark.parametrize("frames, message, rid", [
    ([header(protocol=1), data()], "protocol version 1", "r1"),
    ([header(protocol=True), data()], "protocol version", "r1"),
    ([header(type="train"), data()], "unknown request type", "r1"),
    ([header(shape=[5, 32, 32, 3]), data(5)], "at most 4", "r1"),
    ([header(shape=[1, 64, 64, 3]), data(1, 64)], "32x32", "r1"),
    ([header(shape=[1, 32, 32, 4]), data(1)], "3 channels", "r1"),
    ([header(shape=[1, 32, 32]), data(1)], "4 non-negative", "r1"),
    ([header(shape=[0, 32, 32, 3]), b""], "at least one crop", "r1"),
    ([header(dtype="float32"), data()], "dtype", "r1"),
    ([header(), data()[:-1]], "bytes", "r1"),
    ([header()], "exactly 2 frames", "r1"),
    ([header(), data(), b"x"], "exactly 2 frames", "r1"),
    ([header(evil=1), data()], "unexpected header keys", "r1"),
    ([header(request_id="x" * 65), data()], "request_id", None),
    ([header(request_id=7), data()], "request_id", None),
    ([header(shape=...), data()], "needs shape", "r1"),
    ([b"\xff\xfe", data()], "UTF-8 JSON", None),
    ([b"[1, 2]", data()], "JSON object", None),
    ([b" " * 5000], "larger than", None),
    ([json.dumps({"protocol": PROTOCOL_VERSION, "type": "health", "request_id": "h"}).encode(), b"x"], "exactly 1 frame", "h"),
    ([], "empty", None),
])
def test_every_malformed_request_is_refused_with_a_reason(frames, message, rid):
    with pytest.raises(ProtocolError, match=message) as info:
        protocol.decode_request(frames, LIM)
    assert info.value.request_id == rid
    assert info.value.code == "bad_request"


def test_replies_round_trip_including_unscored_crops():
    results = [CropResult(True, 10.5, 20.25, 3.125, 0.9, 12), CropResult(False, None, None, None, 0.0, 0),
               CropResult(True, 1.0, 2.0, float("nan"), 0.5, 3)]
    reply = protocol.decode_reply(protocol.encode_results("r", results, "m"))
    assert reply.ok and reply.request_id == "r" and reply.model == "m"
    assert reply.results[:2] == tuple(results[:2])
    assert reply.results[2].score is None  # NaN travels as "not scored", never as a number
    info = RunnerInfo("local", "cpu", 256, {"kind": "unet", "sha256": "ab" * 32}, {"kind": "orbital"})
    assert protocol.decode_reply(protocol.encode_info("i", info, "m")).info == info
    health = ServerHealth("ok", 1.0, 2, 3, 1, 0, 0, False, 16, 64)
    assert protocol.decode_reply(protocol.encode_health("h", health, "m")).health == health
    err = protocol.decode_reply(protocol.encode_error(None, "busy", "later"))
    assert not err.ok and err.code == "busy" and err.error == "later" and err.request_id is None


@pytest.mark.parametrize("frames", [[b"nope"], [b'{"protocol": 2, "ok": true}'], [b"{}", b"{}"],
                                    [b'{"protocol":1,"ok":true,"type":"infer","request_id":"r","results":[{}]}']])
def test_malformed_replies_raise_server_error(frames):
    with pytest.raises(ServerError):
        protocol.decode_reply(frames)


def test_model_id_uses_checkpoint_hashes():
    info = RunnerInfo("local", "cpu", 256, {"sha256": "1" * 64}, {"kind": "orbital"})
    assert protocol.model_id(info) == "111111111111+orbital"
