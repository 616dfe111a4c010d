"""Real browser, shared mode (`./run app --lan`, reached over loopback): a visitor sees only the sign-in, a wrong
password is refused, a viewer cannot score or train, an operator scores and the run's provenance names them. Also:
a server on a network address without a users file serves no page. Saves app_signin.png / app_viewer_refused.png /
app_audit.png."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from front_door import started  # noqa: E402
from streamlit_server import free_port  # noqa: E402
from test_browser import ARGS, CHROMIUM, SHOTS, _nav, _settle  # noqa: E402
from tests_app_helpers import make_users  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")]
REPO = Path(__file__).resolve().parents[2]


def _sign_in(page, url, name, password):
    page.goto(url + "/")
    page.get_by_text("MGS Live: sign in").wait_for(timeout=90_000)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    _settle(page, 90_000)


def _env(tmp_path, data_dir, weights, users):
    env = {"MGS_USERS_FILE": str(users), "MGS_DATA_DIR": str(data_dir), "MGS_WORK_DIR": str(tmp_path / "work"),
           "MGS_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    if weights.get("seg"):
        env.update(MGS_SEG_WEIGHTS=weights["seg"], MGS_SCORE_WEIGHTS=weights["score"])
    return env


def test_shared_mode_in_a_real_browser(tmp_path, data_dir, weights):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    users = make_users(tmp_path / "users.json")
    with started(["--lan"], free_port(), tmp_path / "app.log", **_env(tmp_path, data_dir, weights, users)) as (url, _):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                # a visitor: the sign-in only, also at a page's own address
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                page.goto(url + "/batch")
                page.get_by_text("MGS Live: sign in").wait_for(timeout=90_000)
                page.get_by_text("Page not found").wait_for(timeout=30_000)  # /batch is not even registered
                page.keyboard.press("Escape")
                _settle(page)
                assert page.locator("[data-testid='stSidebarNav'] a").count() == 0
                assert page.get_by_text("Batch scoring").count() == 0
                page.screenshot(path=str(SHOTS / "app_signin.png"), timeout=60_000)
                # a wrong password
                page.get_by_label("User name").fill("vera")
                page.get_by_label("Password", exact=True).fill("guess-guess")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_text("Wrong user name or password.").wait_for(timeout=60_000)
                assert page.locator("[data-testid='stSidebarNav'] a").count() == 0

                # a viewer: Score and Train are refused with the reason
                _sign_in(page, url, "vera", "vera-password")
                page.get_by_text("Signed in as").first.wait_for(timeout=60_000)
                _nav(page, "Batch scoring")
                page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").wait_for(timeout=60_000)
                _settle(page)
                page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").click()
                page.get_by_text("you need the operator role; vera is a viewer").wait_for(timeout=60_000)
                _settle(page)
                page.screenshot(path=str(SHOTS / "app_viewer_refused.png"), full_page=True, timeout=60_000)
                _nav(page, "Model evaluation")
                page.get_by_role("button", name="Train the score network").wait_for(timeout=60_000)
                _settle(page)
                page.get_by_role("button", name="Train the score network").click()
                page.get_by_text("you need the admin role; vera is a viewer").wait_for(timeout=60_000)
                assert page.locator("[data-testid='stSidebarNav'] a", has_text="Audit trail").count() == 0
                assert not list((tmp_path / "work").glob("*/models/*.pt"))  # nothing was trained

                # an operator scores; the run's provenance names them
                page = browser.new_context(viewport={"width": 1200, "height": 1400}).new_page()
                _sign_in(page, url, "olly", "olly-password")
                _nav(page, "Batch scoring")
                page.get_by_role("spinbutton", name="Frames per video (0 = all)").wait_for(timeout=60_000)
                _settle(page)
                page.get_by_role("spinbutton", name="Frames per video (0 = all)").fill("6")
                page.get_by_role("spinbutton", name="Frames per video (0 = all)").press("Enter")
                _settle(page)
                page.get_by_test_id("stBaseButton-primary").filter(has_text="Score").click()
                page.get_by_text("Results", exact=True).wait_for(timeout=180_000)
                _settle(page, 120_000)
                provs = [json.loads(p.read_text()) for p in (tmp_path / "workspaces").glob("*/runs/*/demo.json")]
                assert provs and all(p["user"] == "olly" for p in provs)

                # the admin sees the audit trail: the viewer's refused attempts left no run; olly's did
                page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
                _sign_in(page, url, "ada", "ada-password")
                _nav(page, "Audit trail")
                page.get_by_text("records", exact=False).first.wait_for(timeout=60_000)
                _settle(page)
                page.screenshot(path=str(SHOTS / "app_audit.png"), full_page=True, timeout=60_000)
            finally:
                browser.close()
    from mgs_core.access.audit import read

    log = tmp_path / "audit.jsonl"
    assert [(r.user, r.target) for r in read(log, action="score")] == [("olly", "demo.mp4")]
    assert [r.user for r in read(log, action="signin.failed")] == ["vera"]
    assert {r.user for r in read(log, action="signin")} == {"vera", "olly", "ada"}


def test_network_address_without_users_file_serves_no_page(tmp_path, data_dir):
    from playwright.sync_api import sync_playwright

    from streamlit_server import running_app  # noqa: F401  (same recipe, other address)

    port = free_port()
    env = dict(os.environ, MGS_USERS_FILE=str(tmp_path / "none.json"), MGS_DATA_DIR=str(data_dir),
               MGS_WORK_DIR=str(tmp_path / "work"))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "0.0.0.0",
                             "--server.fileWatcherType", "none"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                for _ in range(100):
                    try:
                        page.goto(f"http://127.0.0.1:{port}/batch")
                        break
                    except Exception:  # noqa: BLE001 - not listening yet
                        page.wait_for_timeout(300)
                page.get_by_text("MGS Live is not available").wait_for(timeout=90_000)
                assert page.get_by_text("sign-in is not set up").count() == 1
                assert page.locator("[data-testid='stSidebarNav'] a").count() == 0
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
