"""Real-browser test of the labelling loop on the sample video (headless Debian Chromium): choose 12 frames, label
them by clicking the eye and typing scores (one as "no eye"), reload mid-way and find every label kept, export the
dataset, run agreement (the numbers shown equal `mgs agree` on the same files), fine-tune for a few epochs and make
the result the active model. The blind view's text never holds the model's score or the video's name. Prints the
labelling speed; saves app_label_*.png screenshots (MGS_SCREENSHOTS=docs/images refreshes the docs)."""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_server import running_app  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = REPO / os.environ.get("MGS_SCREENSHOTS", "test-artifacts/screenshots")
N = 12
DISPLAY = 640  # px the component shows the 256-px crop at


@pytest.fixture()
def app(tmp_path, data_dir, weights):
    with running_app(tmp_path, data_dir, weights, MGS_WORK_DIR=str(tmp_path / "work"),
                     MGS_LABELS_DIR=str(tmp_path / "labels")) as (url, _):
        yield url, tmp_path / "labels"


def _settle(page, timeout=120_000):
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(200)


def _nav(page, title):
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    _settle(page)


def _step(page, name):
    page.locator("[data-testid='stRadio'] label", has_text=name).first.click()
    _settle(page)


def _blind_check(page, items):
    text = page.inner_text("body")
    assert "demo" not in text.lower(), "the blind view names the video"
    for it in items:
        for digits in (2, 3, 4):
            assert f"{it['model_score']:.{digits}f}" not in text, "the blind view shows a model score"


def _dismiss_page_not_found(page):
    """Streamlit sometimes greets a reloaded deep link with a 'Page not found' notice while still showing the page;
    close it when it comes."""
    page.wait_for_timeout(1500)
    dialog = page.get_by_role("dialog")
    if dialog.count() and "Page not found" in dialog.first.inner_text():
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def _shot(page, name):
    page.screenshot(path=str(SHOTS / name), full_page=True, timeout=120_000)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_label_agree_finetune_in_a_real_browser(app, tmp_path, capsys):
    from playwright.sync_api import sync_playwright

    from mgs_core.cli import main

    url, labels_root = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1500}, accept_downloads=True)
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            # 1. choose 12 frames from the sample video (with its ROI file)
            page.goto(url)  # the first script run imports torch: deep links wait until the app is warm
            page.locator("[data-testid='stSidebarNav']").wait_for()
            _settle(page)
            _nav(page, "Label your frames")
            page.get_by_text("Number of frames to label").wait_for()
            _settle(page)
            n_box = page.locator("input[aria-label='Number of frames to label']")
            n_box.fill(str(N))
            n_box.press("Enter")
            name_box = page.locator("input[aria-label='Name of the label set']")
            name_box.fill("lab-test")
            name_box.press("Enter")
            _settle(page)
            page.get_by_role("button", name="Choose the frames").click()
            page.get_by_text(f"Label set `lab-test`: {N} frames", exact=False).or_(
                page.get_by_text(f"Label set lab-test: {N} frames")).first.wait_for(timeout=300_000)
            _settle(page)
            _shot(page, "app_label_pick.png")
            items = json.loads((labels_root / "lab-test" / "set.json").read_text())["items"]
            assert len(items) == N
            # 2. a new rater labels blind: click the eye, type the score; one "no eye"; a bad click first
            _step(page, "2. Label")
            page.locator("input[aria-label^='Your name']").fill("Alice")
            page.keyboard.press("Enter")
            _settle(page)
            page.get_by_role("button", name="Start labelling").click()
            _settle(page)
            frame = page.frame_locator("iframe[title*='mgs_labeller']")
            t_start, t_reload = time.perf_counter(), 0.0
            for k, it in enumerate(items):
                img = frame.locator(f"#img[data-item='{it['name']}']")
                img.wait_for()
                _blind_check(page, items)
                if k == 2:  # a click on the letterbox border, outside the picture: refused, nothing saved
                    img.click(position={"x": 320, "y": 3})
                    page.keyboard.press("4")
                    page.get_by_text("is outside the crop of").wait_for()
                    img = frame.locator(f"#img[data-item='{it['name']}']")
                if k == 4:
                    img.click(position={"x": 320, "y": 320})
                    page.keyboard.press("n")
                else:
                    x, y = ((it["model_eye_x"] + 0.5) * DISPLAY / 256, (it["model_eye_y"] + 0.5) * DISPLAY / 256)
                    img.click(position={"x": x, "y": y})
                    page.keyboard.press(str(round(it["model_score"]) % 10))
                page.get_by_text(f"{k + 1} of {N} labelled").wait_for()
                if k == 3:
                    _shot(page, "app_label_blind.png")
                if k == 5:  # reload mid-way: a new session resumes at the first unlabelled frame
                    t0 = time.perf_counter()
                    page.reload()
                    _dismiss_page_not_found(page)
                    page.get_by_text(f"{k + 1} of {N} labelled").wait_for()
                    frame.locator(f"#img[data-item='{items[k + 1]['name']}']").wait_for()
                    t_reload = time.perf_counter() - t0
            seconds = time.perf_counter() - t_start - t_reload
            page.get_by_text(f"All {N} frames labelled").wait_for()
            print(f"\nlabelling speed in the browser: {N} frames in {seconds:.1f} s = {N / seconds * 60:.1f} "
                  f"frames/min (reload excluded: {t_reload:.1f} s)")
            lines = [json.loads(x) for x in (labels_root / "lab-test" / "raters" / "alice.jsonl").read_text().splitlines()]
            labels = {r["item"]: r for r in lines if r["kind"] == "label"}
            assert len(labels) == N and sum(not r["eye_visible"] for r in labels.values()) == 1
            assert [r["kind"] for r in lines].count("label") == N  # the refused click saved nothing
            # 3. export the dataset
            _step(page, "3. Dataset")
            page.get_by_role("button", name="Prepare the ZIP of Alice's labels").click()
            _settle(page)
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download the dataset ZIP").click()
            zpath = tmp_path / "alice.zip"
            dl.value.save_as(zpath)
            with zipfile.ZipFile(zpath) as z:
                csv = [n for n in z.namelist() if n.endswith("labels.csv")][0]
                z.extractall(tmp_path / "ds")
            ds = pd.read_csv(tmp_path / "ds" / csv)
            assert len(ds) == N and set(ds["rater"]) == {"Alice"} and ds["eye_visible"].sum() == N - 1
            _shot(page, "app_label_dataset.png")
            # 4. agreement: the numbers shown equal mgs agree on the downloaded files
            _nav(page, "Agreement")
            page.get_by_role("button", name="Compute agreement").click()
            page.get_by_text("Bland-Altman: model - Alice").wait_for()
            _settle(page)
            page.locator("[data-testid='stImage'] img").last.wait_for()
            page.get_by_role("button", name="Agreement statistics (CSV)").wait_for()
            page.wait_for_timeout(1000)
            _shot(page, "app_agreement.png")
            with page.expect_download() as dl:
                page.get_by_role("button", name="Report + plots + files (ZIP)").click()
            with zipfile.ZipFile(dl.value.path()) as z:
                z.extractall(tmp_path / "agree")
                assert "agreement.html" in z.namelist()
            files = tmp_path / "agree" / "files"
            assert main(["agree", str(files / "key.csv"), str(files / "Alice.csv"), "--out", str(tmp_path / "cli")]) == 0
            cli = pd.read_csv(tmp_path / "cli" / "agreement.csv").iloc[0]
            table = page.locator("[data-testid='stTable']").first.inner_text()
            for col in ("mae", "pearson_r", "icc_2_1", "ba_bias"):
                assert f"{cli[col]:.3f}" in table, (col, cli[col], table)
            # 5. fine-tune a few epochs in the background, leave the page and come back, then activate the model
            _nav(page, "Label your frames")
            _step(page, "4. Fine-tune")
            for label, value in (("U-Net epochs", 2), ("Regressor epochs", 3), ("Cross-validation folds", 2)):
                box = page.locator(f"input[aria-label='{label}']")
                box.fill(str(value))
                box.press("Enter")
                _settle(page)
            page.get_by_role("button", name="Start fine-tuning").click()
            page.get_by_text(re.compile(r"— (running|done)")).first.wait_for()
            _nav(page, "Home")
            _nav(page, "Label your frames")
            _step(page, "4. Fine-tune")
            page.get_by_text(re.compile(r"— (done|failed|interrupted)")).first.wait_for(timeout=600_000)
            assert page.get_by_text(re.compile(r"— done")).count(), page.inner_text("body")
            _settle(page)
            _shot(page, "app_label_finetune.png")
            page.get_by_role("button", name="Make this the active model").click()
            _settle(page)
            page.locator("[data-testid='stSidebar']").get_by_text("fine-tuned on lab-test (Alice)").wait_for()
            page.get_by_text("This is the active model").wait_for()
        finally:
            browser.close()
