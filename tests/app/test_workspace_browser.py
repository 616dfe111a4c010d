"""Real-browser test of the workspace (headless Debian Chromium): a batch run survives a reload and opens on Score
curves; scoring again with another stride adds a second run; two live series of the same four animals count four
animals from two files; a STOP/START gap is a gap in the chart data. Saves app_workspace_*.png (see SHOTS)."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from mgs_core.io.series import SeriesWriter
from mgs_core.types import FrameResult, RoiResult

pytestmark = pytest.mark.browser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_server import running_app  # noqa: E402
from test_browser import ARGS, CHROMIUM, SHOTS, _nav, _settle  # noqa: E402

ANIMALS = (("box1", "m1", "treated", 6.0), ("box2", "m2", "treated", 6.5), ("box3", "m3", "control", 2.0),
           ("box4", "m4", "control", 2.5))
ROIS = {"frame_width": 640, "frame_height": 360,
        "rois": [{"id": b, "animal": a, "group": g, "x": 160 * i, "y": 0, "w": 160, "h": 360}
                 for i, (b, a, g, _) in enumerate(ANIMALS)]}


def _frame(i: int, t: float, shift: float) -> FrameResult:
    return FrameResult(i, t, tuple(RoiResult(b, a, g, True, 80.0, 100.0, level + shift, 0.9, "scored")
                                   for b, a, g, level in ANIMALS))


def _series(live_dir: Path, name: str, video: str, sha: str, times: list[float], gap_at: float | None = None,
            shift: float = 0.0) -> None:
    """A finished live series of the four animals; with ``gap_at`` a STOP/START pause before that time."""
    w = SeriesWriter(live_dir / name, {"source": {"kind": "file"}, "user": "ana",
                                       "input": {"name": video, "sha256": sha, "size_bytes": 1},
                                       "rois": {"file": None, "whole_frame": False, "content": ROIS}})
    w.segment("start")
    for i, t in enumerate(times):
        if gap_at is not None and t == gap_at:
            w.segment("resume")
        w.append(_frame(i, t, shift))
    w.close({"frames_scored": len(times), "message": "stopped"})


@pytest.fixture()
def ws_server(tmp_path, data_dir, weights):
    root = tmp_path / "workspaces"
    live = root / "default" / "live"
    live.mkdir(parents=True)
    day1 = [k * 0.5 for k in range(60)]  # 30 s
    day2 = [k * 0.5 for k in range(40)] + [130 + k * 0.5 for k in range(40)]  # 20 s, STOP, 110 s, START, 20 s
    _series(live, "live_20250101-090000_cage_day1", "cage_day1.mp4", "a" * 64, day1)
    _series(live, "live_20250102-090000_cage_day2", "cage_day2.mp4", "b" * 64, day2, gap_at=130.0, shift=0.3)
    with running_app(tmp_path, data_dir, weights, MGS_WORK_DIR=str(tmp_path / "work"),
                     MGS_WORKSPACE=str(root)) as (url, _):
        yield url, root / "default"


def _run_rows(page) -> list[str]:
    """The rows of the run list (a plain HTML table) as text."""
    rows = page.locator("[data-testid='stTable'] tbody tr")
    rows.first.wait_for(timeout=30_000)
    return [" | ".join(r.split("\t")) for r in rows.all_inner_texts()]


def _dismiss_not_found(page) -> None:
    """Streamlit's frontend may flash "Page not found" for a multipage URL loaded directly, then runs the page
    anyway; the dialog makes the page inert until closed."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=10_000)


def _score(page, runs_after: int) -> None:
    """Press Score and wait until the run list has ``runs_after`` rows."""
    page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").click()
    page.wait_for_function(f"() => document.querySelectorAll(\"[data-testid='stTable'] tbody tr\").length === "
                           f"{runs_after}", timeout=180_000)
    _settle(page, 180_000)


def _number(page, label: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=label)
    box.fill(str(value))
    box.press("Enter")
    _settle(page)


def _download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name=label).click()
    return Path(dl.value.path()).read_bytes()


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_runs_persist_are_versioned_and_animals_pool(ws_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, ws = ws_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1700}).new_page()
        try:
            page.goto(url + "/")
            page.get_by_text("Honest notes on the shipped model").wait_for(timeout=90_000)
            _nav(page, "Batch scoring")
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").wait_for(timeout=90_000)
            _settle(page)
            _number(page, "Frames per video (0 = all)", 12)
            _score(page, 1)
            (first,) = _run_rows(page)
            assert "demo.mp4" in first and "stride 5, first 12 frames" in first and "done" in first

            # a reload is a new browser session: the run is still listed, and opens on Score curves
            page.reload()
            page.get_by_text("Runs in workspace default").wait_for(timeout=90_000)
            _settle(page)
            _dismiss_not_found(page)
            assert _run_rows(page) == [first]
            page.get_by_role("button", name="Open on Score curves").click()
            page.get_by_text("Per animal", exact=True).wait_for(timeout=90_000)
            _settle(page)
            runs_box = page.locator("[data-testid='stMultiSelect']", has_text="Runs in workspace")
            chips = runs_box.locator(".react-aria-ComboBox [data-tag]")
            assert chips.count() == 1 and "demo.mp4 · batch" in chips.first.inner_text()
            assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1

            # score again with another stride: a second run, the first one untouched
            _nav(page, "Batch scoring")
            page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").wait_for(timeout=60_000)
            _settle(page)
            _number(page, "Score every n-th frame (stride)", 2)
            _number(page, "Frames per video (0 = all)", 12)
            _score(page, 2)
            runs = _run_rows(page)
            assert len(runs) == 2 and runs[1] == first and "stride 2, first 12 frames" in runs[0]
            assert sorted(p.name.split("_")[0] for p in (ws / "runs").iterdir()) == ["batch", "batch"]
            page.screenshot(path=str(SHOTS / "app_workspace_batch.png"), full_page=True, timeout=120_000)

            # two live series of the same four animals: 4 animals from 2 files, not 8
            _nav(page, "Score curves")
            page.get_by_text("Per animal", exact=True).wait_for(timeout=90_000)
            _settle(page)
            runs_box = page.locator("[data-testid='stMultiSelect']", has_text="Runs in workspace")
            runs_box.locator(".react-aria-ComboBox [data-tag] button").first.click()  # drop the newest batch run
            _settle(page)
            for video in ("cage_day1.mp4", "cage_day2.mp4"):
                runs_box.get_by_role("combobox").click()
                page.get_by_role("option").filter(has_text=f"{video} · live").click()
                page.keyboard.press("Escape")
                _settle(page)
            page.get_by_text("4 animals from 2 files").wait_for(timeout=60_000)
            animals = pd.read_csv(io.BytesIO(_download(page, "Per-animal summary (CSV)")))
            assert sorted(animals["animal"]) == ["m1", "m2", "m3", "m4"] and set(animals["n files"]) == {2}
            groups = pd.read_csv(io.BytesIO(_download(page, "Groups (CSV)")))  # the group table's numbers
            assert groups["n animals"].sum() == 4 and list(groups["n animals"]) == [2, 2]
            assert list(groups["n files"]) == [2, 2]
            page.screenshot(path=str(SHOTS / "app_workspace_curves.png"), full_page=True, timeout=120_000)

            # the STOP/START gap is a gap in the chart data: two pieces of m1's day-2 line, none across 20-130 s
            data = pd.read_csv(io.BytesIO(_download(page, "Chart data (CSV)")))
            day2 = data[(data["animal"] == "m1") & data["files"].str.startswith("cage_day2.mp4")]
            seg = "segment (a new one after each gap)"
            before, after = day2[day2["time (s)"] < 25], day2[day2["time (s)"] > 125]
            assert len(before) == 40 and len(after) == 40
            assert before[seg].nunique() == 1 and after[seg].nunique() == 1
            assert before[seg].iloc[0] != after[seg].iloc[0] and day2["piece"].nunique() == 2
            assert not ((day2["time (s)"] > 20) & (day2["time (s)"] < 130)).any()
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True, timeout=30_000)
            print("failure screenshot:", tmp_path / "failure.png")
            raise
        finally:
            browser.close()
