"""Real-browser test of the Live page (headless Debian Chromium): the sample file scored on the server, the page's
figures, pause/resume, and what happens when the tab is closed: the scoring process stops by itself (no process
or thread left behind by the server), the series is complete on disk and is listed on Score curves in a new session."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from mgs_core.io.series import list_series, load_series

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_server import running_app  # noqa: E402
from test_browser import ARGS, CHROMIUM, _nav, _settle  # noqa: E402


@pytest.fixture()
def live_server(tmp_path, data_dir, weights):
    work = tmp_path / "work"
    with running_app(tmp_path, data_dir, weights, MGS_WORK_DIR=str(work),
                     MGS_WORKSPACE=str(tmp_path / "workspaces")) as (url, proc):
        yield url, proc.pid, tmp_path / "workspaces" / "default"  # live series land in the workspace's live/


def live_threads(pid: int) -> list[str]:
    """OS names of the server's threads that belong to live scoring (they name themselves ``mgs-live...``: the
    link to a scoring process, or a camera worker and the threads it starts, which inherit the name)."""
    names = []
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            names.append(comm.read_text().strip())
        except OSError:
            continue
    return [n for n in names if n.startswith("mgs-live")]


def live_processes(pid: int) -> list[int]:
    """The server's child processes that are file scorers (they name themselves ``mgs-live``; zombies excluded)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, rest = stat.read_text().rsplit(")", 1)
            fields = rest.split()
            if int(fields[1]) == pid and fields[0] not in ("Z", "X") and comm.split("(", 1)[1].startswith("mgs-live"):
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def metric(page, label: str) -> str | None:
    return page.evaluate("""(label) => {
      for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const l = m.querySelector('[data-testid="stMetricLabel"]');
        const v = m.querySelector('[data-testid="stMetricValue"]');
        if (l && v && l.textContent.trim() === label) return v.textContent.trim();
      }
      return null;
    }""", label)


@pytest.mark.skipif(CHROMIUM is None or not Path("/proc/self/task").is_dir(), reason="needs Chromium and Linux /proc")
def test_live_file_scoring_survives_a_closed_tab(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, pid, work = live_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
            page = ctx.new_page()
            page.goto(url + "/")
            page.get_by_text("Honest notes on the shipped model").wait_for(timeout=60_000)
            _nav(page, "Live scoring")
            page.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)
            _settle(page)
            page.get_by_role("button", name="Start", exact=True).click()
            page.get_by_text("frames scored").first.wait_for(timeout=90_000)
            page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
                m.textContent.includes('Scored frames / s') && parseFloat(
                  m.querySelector('[data-testid="stMetricValue"]').textContent) > 0)""", timeout=60_000)
            for label in ("Display frames / s", "Dropped frames", "Latency p95 (ms)"):
                assert metric(page, label) is not None, label
            page.wait_for_function(  # the annotated picture and the tiles
                "() => document.querySelectorAll('.mgs-live-view img').length >= 2", timeout=60_000)
            page.get_by_role("button", name="Pause", exact=True).click()
            page.get_by_text("paused", exact=True).first.wait_for(timeout=60_000)
            page.get_by_role("button", name="Resume", exact=True).click()
            page.get_by_text("playing", exact=True).first.wait_for(timeout=60_000)
            assert live_processes(pid) and live_threads(pid)  # the scoring process and the server's link to it
            ctx.close()  # the tab is closed while scoring runs

            # the server notices that the session is gone (10 s grace), the scoring process saves the series and ends
            end = time.monotonic() + 120
            while (live_processes(pid) or live_threads(pid) or not list_series(work / "live")[0].finished) \
                    and time.monotonic() < end:
                time.sleep(0.5)
            assert live_processes(pid) == [], "the scoring process outlived its browser session"
            assert live_threads(pid) == [], "a live thread outlived its browser session"
            (series,) = list_series(work / "live")
            assert series.finished and "session ended" in series.provenance["run"]["message"]
            df = load_series(series.folder)
            assert len(df) == series.rows == series.provenance["run"]["frames_scored"] * 4

            # a new tab (a new session) lists it on Score curves
            page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
            page.goto(url + "/")
            page.get_by_text("Honest notes on the shipped model").wait_for(timeout=60_000)
            _nav(page, "Score curves")
            page.get_by_text("Runs in workspace default").first.wait_for(timeout=60_000)
            _settle(page)
            page.get_by_text("demo.mp4 · live").first.wait_for(timeout=30_000)  # listed and preselected
        except Exception:
            try:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                print("failure screenshot:", tmp_path / "failure.png")
            except Exception:  # noqa: BLE001 - the page may be the closed one
                pass
            raise
        finally:
            browser.close()
