"""A tiny two-ROI video with its results table and ROI file (used by the key-frame and CLI tests)."""
import json

import cv2
import numpy as np
import pandas as pd

FPS = 10.0
N_FRAMES = 60
BLURRED = set(range(0, N_FRAMES, 4))  # every 4th frame is motion-blurred


def make_video_set(folder):
    from mgs_core.io.video import write_video

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (64, 128, 3), dtype=np.uint8)
    frames = []
    for i in range(N_FRAMES):
        img = np.roll(base, i, axis=1)
        if i in BLURRED:
            img = cv2.GaussianBlur(img, (0, 0), 4)
        frames.append(img)
    video = folder / "rec.mp4"
    write_video(video, frames, FPS)
    rois = {"format": "mgs-live-rois", "version": 1, "frame_width": 128, "frame_height": 64,
            "rois": [{"id": "box1", "animal": "m1", "group": "vehicle", "x": 0, "y": 0, "w": 64, "h": 64},
                     {"id": "box2", "animal": "m2", "group": "analgesic", "x": 64, "y": 0, "w": 64, "h": 64}]}
    (folder / "rec.rois.json").write_text(json.dumps(rois))
    rows = []
    for i in range(N_FRAMES):
        for k, (roi, animal, group, x0) in enumerate((("box1", "m1", "vehicle", 0), ("box2", "m2", "analgesic", 64))):
            visible = (i + k) % 3 != 0
            score = round(float((3 + 4 * k + np.sin(i / 5.0) * 2) % 9), 4) if visible else np.nan
            rows.append((i, i / FPS, roi, animal, group, int(visible), x0 + 30.0 if visible else np.nan,
                         32.0 if visible else np.nan, score))
    results = pd.DataFrame(rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x",
                                          "eye_y", "score"])
    results.to_csv(folder / "rec.scores.csv", index=False)
    return video, folder / "rec.scores.csv", results
