"""Altair charts of the app (drawing only; the numbers come from mgs_core)."""
from __future__ import annotations

import base64

import altair as alt
import cv2
import numpy as np
import pandas as pd

BRUSH = "brush"
SCORE_SCALE = alt.Scale(domain=[0, 9], nice=False)


def png_data_uri(rgb: np.ndarray, max_side: int = 960) -> str:
    """A PNG data URI of an RGB frame, downscaled so its longer side is at most ``max_side`` (keeps pages light)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[:, :, ::-1]))
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode()


def frame_with_brush(rgb: np.ndarray, rois: pd.DataFrame | None = None, width: int = 760) -> alt.Chart:
    """The frame as an image in frame-pixel coordinates (y down) with a rectangle brush for drawing ROIs.

    Existing ROIs (columns id, x, y, w, h) are drawn as outlined boxes with their id. The brush selection comes back
    from ``st.altair_chart(..., on_select="rerun")`` as ``selection.brush = {"x": [x0, x1], "y": [y0, y1]}``.
    """
    h, w = rgb.shape[:2]
    height = max(1, round(width * h / w))
    xs = alt.Scale(domain=[0, w], nice=False, zero=False)
    ys = alt.Scale(domain=[0, h], reverse=True, nice=False, zero=False)
    img = pd.DataFrame({"x": [0], "y": [0], "x2": [w], "y2": [h], "url": [png_data_uri(rgb)]})
    brush = alt.selection_interval(name=BRUSH, encodings=["x", "y"], mark=alt.BrushConfig(stroke="#ffd400", strokeWidth=2, fillOpacity=0.15))
    image = alt.Chart(img).mark_image(aspect=False).encode(
        x=alt.X("x:Q", scale=xs, title="x (frame pixels)"), y=alt.Y("y:Q", scale=ys, title="y (frame pixels)"),
        x2="x2:Q", y2="y2:Q", url="url:N",
    ).add_params(brush)
    layers = [image]
    if rois is not None and len(rois):
        boxes = rois.assign(x2=rois["x"] + rois["w"], y2=rois["y"] + rois["h"])
        layers.append(alt.Chart(boxes).mark_rect(fillOpacity=0, stroke="#00e5ff", strokeWidth=2).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), x2="x2:Q", y2="y2:Q",
            tooltip=["id", "animal", "group", "x", "y", "w", "h"]))
        layers.append(alt.Chart(boxes).mark_text(align="left", baseline="top", dx=4, dy=4, color="#00e5ff",
                                                 fontWeight="bold", fontSize=14).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), text="id:N"))
    return alt.layer(*layers).properties(width=width, height=height)


def brush_box(event, frame_w: int, frame_h: int) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) in whole frame pixels from an altair_chart selection event, clipped to the frame; None if none."""
    try:
        sel = event["selection"][BRUSH]
        x0, x1 = sorted(float(v) for v in sel["x"])
        y0, y1 = sorted(float(v) for v in sel["y"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    x0, y0 = max(0, int(round(x0))), max(0, int(round(y0)))
    x1, y1 = min(frame_w, int(round(x1))), min(frame_h, int(round(y1)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1 - x0, y1 - y0


def score_lines(df: pd.DataFrame, x: str = "time_s", y: str = "score", color: str = "animal", title: str = "",
                threshold: float | None = None, height: int = 300, x_title: str = "time (s)",
                detail: str | None = None) -> alt.Chart:
    """Score-over-time lines, one colour per ``color`` value, on the fixed 0-9 axis; optional threshold rule.

    ``detail`` names a column with one value per unbroken line (``mgs_core.analysis.report.line_pieces``, or the
    analysis ``segment``): a line is drawn per value, so a gap between two pieces is never bridged."""
    enc = dict(
        x=alt.X(f"{x}:Q", title=x_title),
        y=alt.Y(f"{y}:Q", scale=SCORE_SCALE, title="orbital tightening (0-9)"),
        color=alt.Color(f"{color}:N", title=color),
        tooltip=[color, alt.Tooltip(f"{x}:Q", format=".2f"), alt.Tooltip(f"{y}:Q", format=".2f")],
    )
    if detail:
        enc["detail"] = alt.Detail(f"{detail}:N")
    base = alt.Chart(df).mark_line(point=len(df) < 60, interpolate="linear").encode(**enc)
    layers = [base]
    if threshold is not None:
        layers.append(alt.Chart(pd.DataFrame({"t": [threshold]})).mark_rule(color="#b3261e", strokeDash=[6, 4]).encode(y="t:Q"))
    return alt.layer(*layers).properties(height=height, title=title)


def score_lines_spec(title: str = "", x: str = "time_s", y: str = "score", color: str = "animal", height: int = 300,
                     x_title: str = "time (s)") -> dict:
    """:func:`score_lines` without a threshold as a plain Vega-Lite spec for ``st.vega_lite_chart``: no altair
    objects to build and no schema validation, for the live chart redrawn every second."""
    return {"title": title, "height": height, "mark": {"type": "line", "interpolate": "linear"},
            "encoding": {
                "x": {"field": x, "type": "quantitative", "title": x_title},
                "y": {"field": y, "type": "quantitative", "scale": {"domain": [0, 9], "nice": False},
                      "title": "orbital tightening (0-9)"},
                "color": {"field": color, "type": "nominal", "title": color},
                "tooltip": [{"field": color, "type": "nominal"},
                            {"field": x, "type": "quantitative", "format": ".2f"},
                            {"field": y, "type": "quantitative", "format": ".2f"}]}}


def pred_vs_true(df: pd.DataFrame, true: str = "true", pred: str = "pred") -> alt.Chart:
    points = alt.Chart(df).mark_circle(size=30, opacity=0.6).encode(
        x=alt.X(f"{true}:Q", scale=SCORE_SCALE, title="true score"),
        y=alt.Y(f"{pred}:Q", scale=alt.Scale(domain=[-0.5, 9.5], nice=False), title="predicted score"),
        tooltip=[alt.Tooltip(f"{true}:Q", format=".2f"), alt.Tooltip(f"{pred}:Q", format=".2f")])
    ident = alt.Chart(pd.DataFrame({"a": [0, 9], "b": [0, 9]})).mark_line(color="gray", strokeDash=[4, 4]).encode(x="a:Q", y="b:Q")
    return alt.layer(points, ident).properties(height=320, title="Predicted vs true")


def bland_altman(mean: np.ndarray, diff: np.ndarray, bias: float, lo: float, hi: float) -> alt.Chart:
    """Bland-Altman plot: mean of (pred, true) vs difference (pred - true), bias and 95% limits of agreement."""
    pts = alt.Chart(pd.DataFrame({"mean": mean, "diff": diff})).mark_circle(size=30, opacity=0.6).encode(
        x=alt.X("mean:Q", title="mean of predicted and true"), y=alt.Y("diff:Q", title="predicted - true"))
    lines = pd.DataFrame({"v": [bias, lo, hi], "what": [f"bias {bias:+.2f}", f"-1.96 SD {lo:+.2f}", f"+1.96 SD {hi:+.2f}"]})
    rules = alt.Chart(lines).mark_rule(strokeDash=[6, 4]).encode(
        y="v:Q", color=alt.Color("what:N", title="", scale=alt.Scale(range=["#b3261e", "#1f77b4", "#1f77b4"])))
    return alt.layer(pts, rules).properties(height=320, title="Bland-Altman")


def bars(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, title: str = "") -> alt.Chart:
    return alt.Chart(df).mark_bar().encode(x=alt.X(f"{x}:N", title=x_title, sort=None),
                                           y=alt.Y(f"{y}:Q", title=y_title),
                                           tooltip=[x, alt.Tooltip(f"{y}:Q", format=".3f")]).properties(height=260, title=title)
