"""The MGS Live wire protocol (version 2: crop results carry status, eye_length and scorability): a small JSON header frame plus one raw uint8 image frame.

Requests (client -> server, multipart; a DEALER client sends exactly these frames, a REQ client adds nothing
visible because its empty delimiter is handled by the server):

- frame 0: UTF-8 JSON object, at most ``MAX_HEADER_BYTES``:
  ``{"protocol": 1, "type": "infer"|"info"|"health", "request_id": "<1-64 printable chars>",
  "shape": [N, S, S, 3], "dtype": "uint8", "model": "<optional model id to pin>"}``
  (``shape`` and ``dtype`` only, and always, for ``infer``; no other keys are accepted).
- frame 1 (``infer`` only): the C-contiguous (N, S, S, 3) uint8 RGB crops, exactly N*S*S*3 bytes.

Replies (server -> client): one JSON frame ``{"protocol": 1, "request_id": ..., "ok": true, "type": ...,
"model": "<model id>", ...}`` with ``results`` (one object per crop, the :class:`CropResult` fields), ``info``
(the :class:`RunnerInfo` fields) or ``health``; or ``{"protocol": 1, "request_id": ... or null, "ok": false,
"code": "bad_request"|"busy"|"runner_error"|"shutting_down"|"internal", "error": "<one line>"}``.

Every field is checked by :func:`decode_request` before any model sees the data. The full description is in
docs/protocol.md.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields

import numpy as np

from mgs_core.errors import ServerError
from mgs_core.types import STATUSES, CropResult, RunnerInfo

PROTOCOL_VERSION = 2
MAX_HEADER_BYTES = 4096
MAX_HEADER_DEPTH = 3  # {"shape": [..]} is depth 2; one more level of slack
MAX_HEADER_KEYS = 16  # a valid header has at most 6 keys
MAX_REQUEST_ID_CHARS = 64
REQUEST_TYPES = ("infer", "info", "health")
DTYPE = "uint8"
ERROR_CODES = ("bad_request", "busy", "forbidden", "runner_error", "shutting_down", "internal")
_REQUIRED = {"protocol", "type", "request_id"}
_INFER_KEYS = {"shape", "dtype"}
_OPTIONAL = {"model"}


class ProtocolError(ServerError):
    """A message broke the protocol. On the server it becomes an error reply carrying ``code``."""

    def __init__(self, message: str, request_id: str | None = None, code: str = "bad_request"):
        super().__init__(message)
        self.request_id = request_id
        self.code = code


@dataclass(frozen=True)
class Limits:
    """What a server accepts: crops of ``roi_size`` square, at most ``max_rois`` per request."""

    roi_size: int = 256
    max_rois: int = 64

    @property
    def max_data_bytes(self) -> int:
        return self.max_rois * self.roi_size * self.roi_size * 3


@dataclass(frozen=True)
class Request:
    """A validated request. ``crops`` is a read-only zero-copy view of the received frame (infer only)."""

    type: str
    request_id: str
    crops: np.ndarray | None = None
    model: str | None = None

    @property
    def n_crops(self) -> int:
        return 0 if self.crops is None else int(self.crops.shape[0])


@dataclass(frozen=True)
class ServerHealth:
    """The answer to a ``health`` request."""

    status: str  # "ok" or "shutting_down"
    uptime_s: float
    requests: int  # infer requests answered
    crops: int  # crops scored
    batches: int  # runner calls (fewer than requests when requests of several clients were batched)
    errors: int  # error replies sent
    pending_crops: int  # crops waiting for the model
    busy: bool  # the model is running a batch now
    max_batch: int
    max_rois: int


@dataclass(frozen=True)
class Reply:
    """A decoded reply. Exactly one of ``results``/``info``/``health`` is set when ``ok`` (by ``type``)."""

    request_id: str | None
    ok: bool
    type: str | None = None
    model: str | None = None
    results: tuple[CropResult, ...] | None = None
    info: RunnerInfo | None = None
    health: ServerHealth | None = None
    code: str | None = None
    error: str | None = None


# ---- helpers ----------------------------------------------------------------------------------------------------
def _as_bytes(frame) -> bytes:
    return frame.bytes if hasattr(frame, "bytes") else bytes(frame)


def _as_buffer(frame) -> memoryview:
    return frame.buffer if hasattr(frame, "buffer") else memoryview(frame)


def _json(obj: dict) -> bytes:
    return json.dumps(obj, allow_nan=False, separators=(",", ":")).encode()


def _finite_or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def crop_result_to_dict(r: CropResult) -> dict:
    return {
        "eye_visible": bool(r.eye_visible),
        "eye_x": _finite_or_none(r.eye_x),
        "eye_y": _finite_or_none(r.eye_y),
        "score": _finite_or_none(r.score),
        "confidence": float(r.confidence) if math.isfinite(float(r.confidence)) else 0.0,
        "eye_area_px": int(r.eye_area_px),
        "status": str(r.status),
        "eye_length": _finite_or_none(r.eye_length),
        "scorability": float(r.scorability) if math.isfinite(float(r.scorability)) else 0.0,
    }


def crop_result_from_dict(d) -> CropResult:
    if not isinstance(d, dict) or set(d) != {f.name for f in fields(CropResult)}:
        raise ServerError("server reply holds a malformed crop result")

    def num(v, allow_none=True):
        if v is None and allow_none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ServerError("server reply holds a non-numeric crop result field")
        try:
            return float(v)
        except OverflowError:
            raise ServerError("server reply holds an out-of-range crop result field") from None

    if not isinstance(d["eye_visible"], bool) or isinstance(d["eye_area_px"], bool) \
            or not isinstance(d["eye_area_px"], int):
        raise ServerError("server reply holds a malformed crop result")
    if d["status"] not in STATUSES:
        raise ServerError("server reply holds an unknown crop status")
    return CropResult(eye_visible=d["eye_visible"], eye_x=num(d["eye_x"]), eye_y=num(d["eye_y"]),
                      score=num(d["score"]), confidence=num(d["confidence"], allow_none=False),
                      eye_area_px=d["eye_area_px"], status=d["status"], eye_length=num(d["eye_length"]),
                      scorability=num(d["scorability"], allow_none=False))


def runner_info_to_dict(info: RunnerInfo) -> dict:
    return json.loads(json.dumps(asdict(info), default=str))


def runner_info_from_dict(d) -> RunnerInfo:
    if not isinstance(d, dict):
        raise ServerError("server reply holds malformed runner info")
    try:
        return RunnerInfo(backend=str(d["backend"]), device=str(d["device"]), roi_size=int(d["roi_size"]),
                          seg_model=dict(d.get("seg_model") or {}), score_model=dict(d.get("score_model") or {}),
                          address=d.get("address"), max_detail=int(d.get("max_detail", 1)))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ServerError("server reply holds malformed runner info") from None


def model_id(info: RunnerInfo) -> str:
    """A short id of the two networks a runner uses (from the checkpoints' sha256 when known)."""
    def part(card: dict) -> str:
        sha = str(card.get("sha256") or "")
        return sha[:12] if sha else str(card.get("kind", "model"))

    return f"{part(info.seg_model)}+{part(info.score_model)}"


# ---- requests -----------------------------------------------------------------------------------------------------
def encode_request(type_: str, request_id: str, crops: np.ndarray | None = None, model: str | None = None) -> list:
    """Frames for one request. ``crops`` (infer only) is sent without a copy when it is C-contiguous."""
    header = {"protocol": PROTOCOL_VERSION, "type": type_, "request_id": request_id}
    if model is not None:
        header["model"] = model
    if type_ != "infer":
        return [_json(header)]
    crops = np.ascontiguousarray(crops)
    header["shape"] = [int(s) for s in crops.shape]
    header["dtype"] = str(crops.dtype)
    return [_json(header), crops]


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def prescan_header(raw: bytes) -> None:
    """Refuse a header before JSON decoding when its nesting or key count is beyond any valid header.

    Works on the raw bytes with string literals blanked out, so no input can make the JSON decoder recurse deeply
    (thousands of nested brackets raise RecursionError in :func:`json.loads`) or build a large object.
    """
    bare = _JSON_STRING.sub(b'""', raw)
    depth = top_keys = 0
    for ch in bare:
        if ch in b"[{":
            depth += 1
            if depth > MAX_HEADER_DEPTH:
                raise ProtocolError(f"header nests deeper than {MAX_HEADER_DEPTH} levels")
        elif ch in b"]}":
            depth -= 1
        elif ch == 0x3A and depth == 1:  # ':' of a top-level key
            top_keys += 1
            if top_keys > MAX_HEADER_KEYS:
                raise ProtocolError(f"header has more than {MAX_HEADER_KEYS} keys")


def _check_request_id(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_REQUEST_ID_CHARS or not value.isprintable():
        raise ProtocolError(f"request_id must be a string of 1-{MAX_REQUEST_ID_CHARS} printable characters")
    return value


def decode_request(frames: list, limits: Limits) -> Request:
    """Validate a request (frames after the routing envelope). Raises :class:`ProtocolError` on anything wrong."""
    if not frames:
        raise ProtocolError("empty message")
    raw = _as_bytes(frames[0]) if len(_as_buffer(frames[0])) <= MAX_HEADER_BYTES else None
    if raw is None:
        raise ProtocolError(f"header frame larger than {MAX_HEADER_BYTES} bytes")
    prescan_header(raw)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError("header frame is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise ProtocolError("header must be a JSON object")
    request_id = header.get("request_id")
    rid = request_id if isinstance(request_id, str) and 1 <= len(request_id) <= MAX_REQUEST_ID_CHARS \
        and request_id.isprintable() else None
    try:
        missing = _REQUIRED - set(header)
        if missing:
            raise ProtocolError(f"header lacks {', '.join(sorted(missing))}")
        version = header["protocol"]
        if isinstance(version, bool) or version != PROTOCOL_VERSION:
            raise ProtocolError(f"protocol version {version!r} is not supported; this server speaks "
                                f"version {PROTOCOL_VERSION}")
        _check_request_id(request_id)
        type_ = header["type"]
        if type_ not in REQUEST_TYPES:
            raise ProtocolError(f"unknown request type {type_!r}; expected one of {', '.join(REQUEST_TYPES)}")
        allowed = _REQUIRED | _OPTIONAL | (_INFER_KEYS if type_ == "infer" else set())
        extra = set(header) - allowed
        if extra:
            raise ProtocolError(f"unexpected header keys: {', '.join(sorted(map(str, extra)))}")
        model = header.get("model")
        if model is not None and (not isinstance(model, str) or len(model) > 200):
            raise ProtocolError("model must be a short string")
        if type_ != "infer":
            if len(frames) != 1:
                raise ProtocolError(f"a {type_} request has exactly 1 frame, got {len(frames)}")
            return Request(type=type_, request_id=request_id, model=model)
        return Request(type="infer", request_id=request_id, crops=_decode_crops(header, frames, limits),
                       model=model)
    except ProtocolError as exc:
        exc.request_id = rid
        raise


def _decode_crops(header: dict, frames: list, limits: Limits) -> np.ndarray:
    missing = _INFER_KEYS - set(header)
    if missing:
        raise ProtocolError(f"an infer header needs {', '.join(sorted(missing))}")
    if header["dtype"] != DTYPE:
        raise ProtocolError(f"dtype must be {DTYPE!r}, got {header['dtype']!r}")
    shape = header["shape"]
    if not isinstance(shape, list) or len(shape) != 4 or any(
            isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
        raise ProtocolError("shape must be a list of 4 non-negative integers [N, S, S, 3]")
    n, h, w, c = shape
    if n < 1:
        raise ProtocolError("an infer request needs at least one crop")
    if n > limits.max_rois:
        raise ProtocolError(f"{n} crops in one request; this server accepts at most {limits.max_rois}")
    if h != limits.roi_size or w != limits.roi_size:
        raise ProtocolError(f"crops must be {limits.roi_size}x{limits.roi_size}, got {h}x{w}")
    if c != 3:
        raise ProtocolError(f"crops must have 3 channels (RGB), got {c}")
    if len(frames) != 2:
        raise ProtocolError(f"an infer request has exactly 2 frames (header, data), got {len(frames)}")
    data = _as_buffer(frames[1])
    expected = n * h * w * c
    if data.nbytes != expected:
        raise ProtocolError(f"data frame holds {data.nbytes} bytes; shape {shape} needs {expected}")
    return np.frombuffer(data, dtype=np.uint8).reshape(n, h, w, c)


# ---- replies ------------------------------------------------------------------------------------------------------
def encode_results(request_id: str, results, model: str) -> list:
    return [_json({"protocol": PROTOCOL_VERSION, "request_id": request_id, "ok": True, "type": "infer",
                   "model": model, "results": [crop_result_to_dict(r) for r in results]})]


def encode_info(request_id: str, info: RunnerInfo, model: str) -> list:
    return [_json({"protocol": PROTOCOL_VERSION, "request_id": request_id, "ok": True, "type": "info",
                   "model": model, "info": runner_info_to_dict(info)})]


def encode_health(request_id: str, health: ServerHealth, model: str) -> list:
    return [_json({"protocol": PROTOCOL_VERSION, "request_id": request_id, "ok": True, "type": "health",
                   "model": model, "health": asdict(health)})]


def encode_error(request_id: str | None, code: str, message: str) -> list:
    if code not in ERROR_CODES:
        code = "internal"
    return [_json({"protocol": PROTOCOL_VERSION, "request_id": request_id, "ok": False, "code": code,
                   "error": message[:1000]})]


def decode_reply(frames: list) -> Reply:
    """Parse a server reply. Raises :class:`ServerError` when the reply itself is malformed."""
    if len(frames) != 1:
        raise ServerError(f"server reply has {len(frames)} frames, expected 1")
    try:
        d = json.loads(_as_bytes(frames[0]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ServerError("server reply is not UTF-8 JSON") from None
    if not isinstance(d, dict) or d.get("protocol") != PROTOCOL_VERSION or not isinstance(d.get("ok"), bool):
        raise ServerError(f"server reply is not MGS Live protocol {PROTOCOL_VERSION}")
    rid = d.get("request_id")
    if rid is not None and not isinstance(rid, str):
        raise ServerError("server reply has a malformed request_id")
    if not d["ok"]:
        return Reply(request_id=rid, ok=False, code=str(d.get("code") or "internal"),
                     error=str(d.get("error") or "unspecified server error"))
    type_ = d.get("type")
    model = d.get("model")
    if type_ == "infer":
        results = d.get("results")
        if not isinstance(results, list):
            raise ServerError("server infer reply lacks results")
        return Reply(request_id=rid, ok=True, type=type_, model=model,
                     results=tuple(crop_result_from_dict(r) for r in results))
    if type_ == "info":
        return Reply(request_id=rid, ok=True, type=type_, model=model, info=runner_info_from_dict(d.get("info")))
    if type_ == "health":
        h = d.get("health")
        try:
            health = ServerHealth(**h)
        except TypeError:
            raise ServerError("server health reply is malformed") from None
        return Reply(request_id=rid, ok=True, type=type_, model=model, health=health)
    raise ServerError(f"server reply has unknown type {type_!r}")
