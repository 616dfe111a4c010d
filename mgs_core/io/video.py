"""Reading videos (mp4/avi/mov/mkv, anything FFmpeg via PyAV decodes) and still images as frame sources.

``open_video(path, stride=1, live=False)`` returns a :class:`VideoSource`: iterate it for :class:`VideoFrame`
(index in the full decoded sequence, true ``time_s`` from the packet timestamps, RGB uint8 image). Decoding runs in
its own thread feeding a bounded queue, so decoding and inference overlap on different cores.

- ``stride=N`` yields frames 0, N, 2N, ... (all frames are still decoded: H.264 needs them).
- ``start=K`` begins at frame K: the file is sought to the key frame at or before it and decoded forward from there
  (not from the first frame), so a jump into a long file costs at most one key-frame interval of decoding. Frame
  numbers come from the timestamps (``round(t x fps)``), the same as when decoding from the start; a file without
  timestamps or that cannot seek is decoded from the start (``seek_fell_back``).
- ``live=True`` plays the file at its real frame rate like a camera: the consumer always gets the newest frame whose
  time has come, and frames it was too slow to take are dropped (counted in ``dropped``) rather than falling behind.
- A damaged packet (corrupt bytes in the middle of a file) is skipped and decoding carries on with the next one;
  the frames it cost are listed in ``lost_ranges`` (inclusive index ranges, ``frames_lost`` in all) and
  ``decode_error`` names them. A file whose container breaks, or that is truncated, yields every frame that
  decodes; then ``decode_error`` says where it broke (and, with ``strict=True``, iterating raises
  :class:`VideoError` after the last good frame).
- Images (png, jpg, bmp, tif) are a one-frame source with ``time_s = 0``.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from mgs_core.errors import VideoError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".y4m"}


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float  # average frame rate (0 when unknown; 0 for images)
    n_frames: int  # frame count from the container, or an estimate from duration x fps (1 for images)
    duration_s: float
    codec: str  # "png", "h264", ...
    is_image: bool = False


@dataclass(frozen=True)
class VideoFrame:
    index: int  # position in the full decoded sequence (0-based), independent of stride
    time_s: float  # presentation time in seconds (pts x time_base, relative to the stream start)
    image: np.ndarray  # H x W x 3 uint8 RGB


def not_readable(path: Path) -> VideoError:
    return VideoError(f"{path} is not a video or image MGS Live can read")


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | Path) -> np.ndarray:
    """An image file as RGB uint8 (grey images are expanded to 3 channels)."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path} does not exist")
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise not_readable(path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _open_container(path: Path):
    import av

    if not path.is_file():
        raise VideoError(f"{path} does not exist")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        raise not_readable(path) from None
    if not container.streams.video:
        container.close()
        raise not_readable(path)
    return container


def probe_video(path: str | Path) -> VideoInfo:
    """Frame size, rate, length and codec of a video or image, without decoding it all."""
    path = Path(path)
    if is_image(path):
        img = read_image(path)
        return VideoInfo(str(path), img.shape[1], img.shape[0], 0.0, 1, 0.0, path.suffix.lower().lstrip("."), True)
    container = _open_container(path)
    try:
        st = container.streams.video[0]
        fps = float(st.average_rate or st.guessed_rate or 0.0)
        if st.duration is not None and st.time_base is not None:
            duration = float(st.duration * st.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            duration = 0.0
        n = int(st.frames or 0) or int(round(duration * fps))
        width, height = st.codec_context.width, st.codec_context.height
        if not width or not height:
            raise not_readable(path)
        return VideoInfo(str(path), int(width), int(height), fps, n, duration, st.codec_context.name, False)
    finally:
        container.close()


_END = object()
DAMAGE_WATCH_FRAMES = 32  # a gap in frame numbers this soon after a damaged packet counts as frames lost to it


def describe_ranges(ranges) -> str:
    """``[(3, 5), (9, 9)]`` -> ``"frames 3-5, 9"``."""
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges]
    return ("frames " + ", ".join(parts)) if parts else "no frames"


class VideoSource:
    """Iterable of :class:`VideoFrame`; use as a context manager (or call ``close``) to stop the decode thread."""

    def __init__(self, path: str | Path, stride: int = 1, live: bool = False, threaded: bool = True,
                 max_frames: int | None = None, start: int = 0, queue_size: int = 8, strict: bool = False):
        if stride < 1:
            raise ValueError("stride must be >= 1")
        self.path = Path(path)
        self.info = probe_video(self.path)
        self.stride, self.live, self.threaded = stride, live, threaded or live
        self.max_frames, self.start, self.strict = max_frames, start, strict
        self.decode_error: str | None = None
        self.lost_ranges: list[tuple[int, int]] = []  # (first, last) frame indices lost to damaged packets
        self.packets_skipped = 0
        self._first_damage: str | None = None
        self.frames_decoded = 0
        self.first_index = 0  # the frame decoding began at: a key frame at or before ``start`` (0 without a seek)
        self.seek_fell_back = False  # ``start`` was reached by decoding from the first frame (the file cannot seek)
        self.dropped = 0
        self._queue: queue.Queue = queue.Queue(maxsize=1 if live else max(1, queue_size))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    @property
    def frames_lost(self) -> int:
        return sum(b - a + 1 for a, b in self.lost_ranges)

    # ---- decoding (runs in the producer thread, or inline when threaded=False) ---------------------------------
    def _seek(self, container, st, tb, t0, fps) -> bool:
        """Jump to the key frame at or before frame ``start`` (decoding then goes forward from there, not from the
        first frame); False when the file cannot seek, so decoding starts at the beginning."""
        import av

        target = (self.start - 0.5) / fps  # half a frame early: the key frame at or before the start frame
        try:
            container.seek(int((t0 or 0) + target / tb), stream=st, backward=True, any_frame=False)
        except (av.error.FFmpegError, ValueError, OverflowError, ZeroDivisionError):
            self.seek_fell_back = True
            return False
        return True

    def _frames(self):
        """All selected frames in order; sets decode_error when decoding breaks."""
        if self.info.is_image:
            if self.start == 0 and (self.max_frames is None or self.max_frames > 0):
                self.frames_decoded = 1
                yield VideoFrame(0, 0.0, read_image(self.path))
            return
        import av

        container = _open_container(self.path)
        try:
            st = container.streams.video[0]  # FFmpeg's default (slice) threading: least CPU per frame here
            tb = st.time_base or Fraction(1, 1)
            t0 = st.start_time if st.start_time is not None else None
            fps = self.info.fps or 30.0
            index, yielded, last_t = -1, 0, -1.0
            damaged = 0  # frames still to watch for a gap after a damaged packet (the decoder delays its output)
            seeking = self.start > 0 and self._seek(container, st, tb, t0, fps)
            demux = container.demux(st)
            while True:
                try:
                    packet = next(demux)
                except StopIteration:
                    break
                except (av.error.FFmpegError, ValueError, OSError) as exc:  # the container itself is broken
                    where = f"after frame {index}" if index >= 0 else "before the first frame"
                    self.decode_error = f"{self.path.name}: decoding stopped {where} ({exc})"
                    break
                try:
                    decoded = packet.decode()
                except (av.error.FFmpegError, ValueError) as exc:  # a damaged packet: skip it, keep decoding
                    self.packets_skipped += 1
                    self._first_damage = self._first_damage or str(exc)
                    damaged = DAMAGE_WATCH_FRAMES
                    continue
                for frame in decoded:
                    if seeking:  # the first frame after a seek: it must say where it is and lie before the start
                        seeking = False
                        t = float((frame.pts - (t0 or 0)) * tb) if frame.pts is not None else None
                        if t is None or int(round(t * fps)) > self.start:
                            self.seek_fell_back = True  # no timestamps, or past the start: decode from the start
                            container.close()
                            container = _open_container(self.path)
                            st = container.streams.video[0]
                            demux = container.demux(st)
                            break
                        self.first_index = int(round(t * fps))
                    if frame.pts is not None:
                        t = float((frame.pts - (t0 or 0)) * tb)
                        # frame number at the nominal rate, so a frame lost to corruption leaves a gap
                        index_new = max(index + 1, int(round(t * fps)))
                    else:
                        index_new = index + 1
                        t = index_new / fps
                    if damaged and index_new > index + 1:
                        self.lost_ranges.append((index + 1, index_new - 1))
                    damaged = max(0, damaged - 1)
                    index = index_new
                    if t <= last_t:  # broken timestamps: keep time monotonic
                        t = last_t + 1.0 / fps
                    last_t = t
                    self.frames_decoded += 1
                    if index < self.start or (index - self.start) % self.stride:
                        continue
                    if self.max_frames is not None and yielded >= self.max_frames:
                        return
                    yielded += 1
                    yield VideoFrame(index, t, frame.to_ndarray(format="rgb24"))
                    if self._stop.is_set():
                        return
            expected = self.info.n_frames
            if damaged and expected and expected - 1 > index:  # damage at the very end
                self.lost_ranges.append((index + 1, expected - 1))
            if self.decode_error is None:
                if index < 0:
                    self.decode_error = f"{self.path.name}: no frame could be decoded"
                elif self.packets_skipped:
                    self.decode_error = (f"{self.path.name}: {self.packets_skipped} damaged packet(s) skipped; "
                                         f"{self.frames_lost} frame(s) lost ({describe_ranges(self.lost_ranges)}); "
                                         f"first damage: {self._first_damage}")
                elif expected and expected - (index + 1) > max(2, 0.02 * expected):
                    self.decode_error = (f"{self.path.name}: the video ends after frame {index} (t={last_t:.2f} s) "
                                         f"but its header announces {expected} frames: the file looks truncated")
        finally:
            container.close()

    def _produce(self) -> None:
        try:
            wall0 = None
            for vf in self._frames():
                if self._stop.is_set():
                    break
                if self.live:
                    if wall0 is None:
                        wall0 = time.perf_counter() - vf.time_s
                    delay = wall0 + vf.time_s - time.perf_counter()
                    if delay > 0 and self._stop.wait(delay):
                        break
                    try:  # replace a frame nobody took yet: the consumer always gets the newest one
                        self._queue.get_nowait()
                        self.dropped += 1
                    except queue.Empty:
                        pass
                    self._queue.put(vf)
                else:
                    while not self._stop.is_set():
                        try:
                            self._queue.put(vf, timeout=0.1)
                            break
                        except queue.Full:
                            continue
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            self._put_final(exc)
            return
        self._put_final(_END)

    def _put_final(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self.live:
                    try:
                        self._queue.get_nowait()
                    except queue.Empty:
                        pass

    def __iter__(self):
        if self._started:
            raise RuntimeError("a VideoSource can be iterated once; open the video again")
        self._started = True
        if not self.threaded:
            yield from self._frames()
        else:
            self._thread = threading.Thread(target=self._produce, name=f"decode-{self.path.name}", daemon=True)
            self._thread.start()
            while True:
                item = self._queue.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        if self.strict and self.decode_error:
            raise VideoError(self.decode_error)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                try:
                    self._queue.get(timeout=0.05)
                except queue.Empty:
                    pass
            self._thread = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_video(path: str | Path, stride: int = 1, live: bool = False, threaded: bool = True,
               max_frames: int | None = None, start: int = 0, strict: bool = False) -> VideoSource:
    """A frame source over a video or image file (see the module docstring)."""
    return VideoSource(path, stride=stride, live=live, threaded=threaded, max_frames=max_frames, start=start,
                       strict=strict)


def read_frame(path: str | Path, index: int = 0) -> np.ndarray:
    """Frame ``index`` (0-based, in decode order) of a video, or the image itself; VideoError when out of range."""
    path = Path(path)
    if is_image(path):
        return read_image(path)
    if index < 0:
        raise VideoError(f"{path.name}: frame index {index} must be >= 0")
    with open_video(path, start=index, max_frames=1, threaded=False) as src:
        for vf in src:
            return vf.image
    err = f" ({src.decode_error})" if src.decode_error else ""
    raise VideoError(f"{path.name} has no frame {index} (it has {src.first_index + src.frames_decoded} frames){err}")


def write_video(path: str | Path, frames, fps: float, codec: str = "libx264", crf: int = 20,
                keyint: int | None = None) -> Path:
    """Encode an iterable of RGB uint8 frames (all the same size) to a video file; returns the path. ``keyint``:
    at most this many frames between key frames (libx264; its default is 250)."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    container = av.open(str(path), mode="w")
    stream = None
    try:
        for img in frames:
            if stream is None:
                stream = container.add_stream(codec, rate=rate)
                stream.width, stream.height = img.shape[1] - img.shape[1] % 2, img.shape[0] - img.shape[0] % 2
                stream.pix_fmt = "yuv420p"
                if codec == "libx264":
                    stream.options = {"crf": str(crf), "preset": "veryfast",
                                      **({"g": str(keyint)} if keyint else {})}
            img = img[: stream.height, : stream.width]
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    finally:
        container.close()
    return path
