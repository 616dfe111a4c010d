"""The live view's drawing (no Streamlit): picture at display width, one tile per ROI, JPEG bytes, and the HTML
block the page sends (the same for a picture drawn by the scoring process and for a camera frame drawn here)."""
import cv2
import numpy as np

from app_support.live import view_html
from app_support.live_draw import DISPLAY_WIDTH, TILE, view_jpegs
from app_support.live_worker import LiveSnapshot, LiveStats
from mgs_core.io.rois import full_frame_rois
from mgs_core.types import SCORED, FrameResult, RoiResult

STATS = LiveStats(1, 1, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0)


def frame_and_result():
    image = np.full((1080, 1920, 3), 120, np.uint8)
    rois = full_frame_rois(1920, 1080)
    roi = rois.rois[0]
    res = FrameResult(12, 0.4, (RoiResult(roi.id, roi.animal, roi.group, True, 960.0, 540.0, 4.5, 0.9, SCORED),))
    return image, rois, res


def test_view_jpegs_are_display_sized_jpegs():
    image, rois, res = frame_and_result()
    pic, tiles, width = view_jpegs(image, rois, res)
    p = cv2.imdecode(np.frombuffer(pic, np.uint8), cv2.IMREAD_COLOR)
    t = cv2.imdecode(np.frombuffer(tiles, np.uint8), cv2.IMREAD_COLOR)
    assert p.shape[:2] == (360, DISPLAY_WIDTH)  # 1920x1080 -> 640x360
    assert t.shape[1] == width == TILE + 4  # one tile with its 2-px border


def test_view_html_from_the_scoring_process_or_a_camera_frame(tmp_path):
    image, rois, res = frame_and_result()
    pic, tiles, width = view_jpegs(image, rois, res)
    drawn = LiveSnapshot(1, None, res, None, 1700000000.123, "playing", None, STATS, tmp_path, pic, tiles, width)
    camera = LiveSnapshot(1, image, res, rois, 1700000000.123, "playing", None, STATS, tmp_path)
    for snap in (drawn, camera):
        html = view_html(snap)
        assert html.count("data:image/jpeg;base64,") == 2 and f"width:{width}px" in html
        assert "<span class='mgs-live-stamp' style='display:none'" in html and ">1700000000123</span>" in html
    assert view_html(LiveSnapshot(0, None, None, None, 0.0, "starting", None, STATS, tmp_path)) is None
