"""Real-browser test: headless Debian Chromium drives the running app (every page, batch scoring, drawing an ROI,
live scoring of the sample file on the server and from a fake camera fed with our synthetic video). Saves
app_<page>.png screenshots (see SHOTS)."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_server import running_app  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# Screenshots go to test-artifacts/ (git-ignored); MGS_SCREENSHOTS=docs/images refreshes the README/docs pictures.
SHOTS = REPO / os.environ.get("MGS_SCREENSHOTS", "test-artifacts/screenshots")


def _make_y4m(video: Path, out: Path, frames: int = 45, width: int = 640) -> Path:
    import av
    import cv2

    from mgs_core.io.video import open_video

    container = av.open(str(out), "w", format="yuv4mpegpipe")
    stream = None
    with open_video(video, max_frames=frames) as src:
        for vf in src:
            h, w = vf.image.shape[:2]
            img = cv2.resize(vf.image, (width, (round(h * width / w) // 2) * 2), interpolation=cv2.INTER_AREA)
            if stream is None:
                stream = container.add_stream("rawvideo", rate=15)
                stream.width, stream.height, stream.pix_fmt = img.shape[1], img.shape[0], "yuv420p"
            for p in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(p)
    for p in stream.encode():
        container.mux(p)
    container.close()
    return out


@pytest.fixture()
def server(tmp_path, data_dir, weights):
    with running_app(tmp_path, data_dir, weights, MGS_WORK_DIR=str(tmp_path / "work")) as (url, _):
        yield url


def _live_run(page, shot: str, webcam: bool = False) -> None:
    """START the live page (the file's Start button, or the camera's WebRTC START), wait until scores arrive, STOP,
    screenshot (once stopped: a page redrawing ten times a second on a busy machine can refuse a capture)."""
    if webcam:
        frame = page.frame_locator("iframe[title*='streamlit_webrtc']")
        frame.get_by_role("button", name="START").click(timeout=60_000)
    else:
        page.get_by_role("button", name="Start", exact=True).click(timeout=60_000)
    page.get_by_text(re.compile(r"\b[1-9]\d* frames scored")).first.wait_for(timeout=90_000)  # scores arrived
    page.wait_for_timeout(4000)
    if webcam:
        frame.get_by_role("button", name="STOP").click(timeout=90_000)
    else:
        page.get_by_role("button", name="Stop", exact=True).click(timeout=90_000)
    _wait_stopped(page, webcam)
    _settle(page)
    try:  # a by-product for the docs: on a starved machine Chromium can take minutes to raster this long page
        page.screenshot(path=str(SHOTS / shot), full_page=True, timeout=60_000)
    except Exception as exc:  # noqa: BLE001 - playwright's TimeoutError / "Unable to capture screenshot"
        print(f"{shot} not taken: {exc}")


def _wait_stopped(page, webcam: bool, timeout_s: float = 180.0) -> None:
    """Wait for the page's "Stopped." summary; on a timeout, fail with what the page said of its state (the caption
    "**state** · t = ... · N frames scored"), so a CI log tells a stuck scorer from a slow one."""
    try:
        page.get_by_text("Stopped.").first.wait_for(timeout=timeout_s * 1000)
    except Exception as exc:  # noqa: BLE001 - playwright's TimeoutError; re-raised with the page's state
        try:
            said = page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
        except Exception as inner:  # noqa: BLE001
            said = [f"(captions unreadable: {inner})"]
        raise AssertionError(f"no 'Stopped.' {timeout_s:.0f} s after STOP ({'webcam' if webcam else 'file'}); "
                             f"the page's captions: {said}") from exc


def _settle(page, timeout=60_000):
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(300)


def _nav(page, title):
    """Switch page through the sidebar (a full reload would start a new Streamlit session)."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_app_in_a_real_browser(server, tmp_path, data_dir):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    y4m = _make_y4m(data_dir / "demo.mp4", tmp_path / "cam.y4m")
    live_args = ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                        f"--use-file-for-fake-video-capture={y4m}", "--autoplay-policy=no-user-gesture-required"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=live_args)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1700})
            ctx.grant_permissions(["camera"], origin=server)
            page = ctx.new_page()

            # Home
            page.goto(server + "/")
            page.get_by_text("Honest notes on the shipped model").wait_for(timeout=60_000)
            _settle(page)
            page.screenshot(path=str(SHOTS / "app_home.png"), full_page=True, timeout=120_000)

            # ROIs: draw a rectangle by dragging on the frame, add it as a new ROI
            _nav(page, "Regions of interest")
            page.get_by_text("Drawn rectangle").wait_for(timeout=60_000)
            _settle(page)
            chart = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
            chart.wait_for(timeout=90_000)
            box = chart.bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.30, box["y"] + box["height"] * 0.30)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.70, steps=10)
            page.mouse.up()
            page.get_by_role("button", name="Add as a new ROI").wait_for(timeout=90_000)
            _settle(page)
            before = page.locator("[data-testid='stImage']").count()
            page.get_by_role("button", name="Add as a new ROI").click()
            _settle(page)
            page.wait_for_function(f"() => document.querySelectorAll('[data-testid=\"stImage\"]').length > {before}",
                                   timeout=90_000)
            page.screenshot(path=str(SHOTS / "app_rois.png"), full_page=True, timeout=120_000)

            # Batch: score the sample video, see the results table and chart
            _nav(page, "Batch scoring")
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").wait_for(timeout=60_000)
            _settle(page)
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").click()
            page.get_by_text("Results", exact=True).wait_for(timeout=120_000)
            _settle(page, 120_000)
            assert page.locator("[data-testid='stDataFrame']").count() >= 1
            assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
            page.screenshot(path=str(SHOTS / "app_batch.png"), full_page=True, timeout=120_000)

            # Curves: the batch results of this session are preselected
            _nav(page, "Score curves")
            page.get_by_text("Per animal", exact=True).wait_for(timeout=60_000)
            _settle(page)
            assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
            page.screenshot(path=str(SHOTS / "app_curves.png"), full_page=True, timeout=120_000)

            # Evaluate: pipeline evaluation on the sample labelled dataset (first 40 crops)
            _nav(page, "Model evaluation")
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Evaluate").wait_for(timeout=60_000)
            _settle(page)
            limit = page.get_by_label("Use at most this many crops (0 = all)")
            limit.fill("40")
            limit.press("Enter")
            _settle(page)
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Evaluate").click(timeout=90_000)
            page.get_by_text("Bland-Altman").first.wait_for(timeout=120_000)
            _settle(page, 120_000)
            page.screenshot(path=str(SHOTS / "app_evaluate.png"), full_page=True, timeout=120_000)

            # Live (a): the sample video played at its real frame rate with its 4 ROIs; per-mouse scores must arrive
            _nav(page, "Live scoring")
            page.get_by_text("Source").first.wait_for(timeout=60_000)
            _settle(page)
            _live_run(page, "app_live.png")

            # Live (b): webcam = Chromium's fake camera playing our synthetic video; scores must arrive
            page.get_by_text("Webcam", exact=True).click(timeout=90_000)
            _settle(page)
            page.wait_for_function(
                "() => document.querySelectorAll(\"iframe[title*='streamlit_webrtc']\").length === 1", timeout=90_000)
            _live_run(page, "app_live_webcam.png", webcam=True)
        except Exception:
            try:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True, timeout=30_000)
                print("failure screenshot:", tmp_path / "failure.png")
            except Exception as shot_exc:  # noqa: BLE001 - keep the original error visible
                print("no failure screenshot:", shot_exc)
            raise
        finally:
            browser.close()
