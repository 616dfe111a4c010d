"""Reports a welfare officer can file: Markdown + PNG plots (matplotlib, Agg) + an HTML chart (altair).

:func:`write_analysis_report` writes the outputs of ``mgs analyze``; :func:`write_agreement_report` those of
``mgs agree`` (also as ``agreement.html``: one self-contained printable page with the plots embedded, made by
:func:`markdown_to_html`). Every report states that MGS Live's models were trained on procedurally rendered images
only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.columns import human_columns
from mgs_core.analysis.curves import NO_GROUP, SEGMENT_COL, SEQ_COLS, SMOOTH_COL, Smoothing
from mgs_core.analysis.groups import RepeatedMeasures
from mgs_core.analysis.raters import AgreementReport
from mgs_core.analysis.scale import SCORE_COL, ScaleConversion

PROVENANCE = ("Scores are the continuous orbital-tightening score (0-9) of MGS Live. Its models are trained on "
              "procedurally rendered images of the paper's imaging setup, not on labelled real mice: check them "
              "against blinded human scoring (`mgs keyframes` + `mgs agree`) before relying on them.")


@dataclass(frozen=True)
class AnalysisOutputs:
    frames: pd.DataFrame  # per-frame, prepared + smoothed
    bins: pd.DataFrame
    animals: pd.DataFrame
    groups: pd.DataFrame
    tests: pd.DataFrame
    repeated: RepeatedMeasures


def _stamp() -> str:
    from datetime import datetime

    from mgs_core import __version__

    return f"Generated {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} by MGS Live {__version__}."


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(v, digits: int = 3) -> str:
    if isinstance(v, (float, np.floating)):
        return "n/a" if not np.isfinite(v) else f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
    return str(v)


def _md_table(df: pd.DataFrame, digits: int = 3) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c], digits) for c in cols) + " |")
    return "\n".join(lines)


def _plot_curves(frames: pd.DataFrame, bins: pd.DataFrame, path: Path) -> None:
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    groups = sorted(frames["group"].unique())
    colours = {g: plt.cm.tab10(i % 10) for i, g in enumerate(groups)}
    col = SMOOTH_COL if SMOOTH_COL in frames.columns else SCORE_COL
    keys = SEQ_COLS + ([SEGMENT_COL] if SEGMENT_COL in frames.columns else [])
    for _, part in frames.groupby(keys, sort=True):  # one line per stretch without a gap: gaps stay gaps
        ok = np.isfinite(part[col].to_numpy(dtype=float))
        ax1.plot(part["time_s"][ok], part[col][ok], lw=0.8, color=colours[part["group"].iloc[0]], alpha=0.8)
    for g in groups:
        sub = bins[bins["group"] == g].groupby("bin_mid_s")["mean_score_0_9"]
        m, s, n = sub.mean(), sub.std(ddof=1), sub.count()  # an empty bin has NaN: matplotlib breaks the line there
        ax2.errorbar(m.index, m.values, yerr=(s / np.sqrt(n)).fillna(0).values, color=colours[g], marker="o",
                     capsize=3, label=f"{g or NO_GROUP}")
    ax1.set_ylabel("score 0-9 (smoothed, per animal)")
    ax2.set_ylabel("bin mean score 0-9\n(group mean +/- SEM over animals)")
    ax2.set_xlabel("time (s)")
    for ax in (ax1, ax2):
        ax.set_ylim(0, 9)
        ax.grid(alpha=0.3)
    ax2.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _html_chart(bins: pd.DataFrame, path: Path) -> None:
    import altair as alt

    data = line_pieces(bins[["animal", "group", "bin_mid_s", "mean_score_0_9", "n_scored"]], "mean_score_0_9",
                       ["animal"])
    chart = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("bin_mid_s:Q", title="time (s)"),
        y=alt.Y("mean_score_0_9:Q", title="bin mean score (0-9)", scale=alt.Scale(domain=[0, 9])),
        color=alt.Color("group:N"), detail="piece:N",
        tooltip=["animal", "group", "bin_mid_s", alt.Tooltip("mean_score_0_9:Q", format=".2f"), "n_scored"],
    ).properties(width=700, height=350, title="Orbital-tightening score per animal and time bin").interactive()
    chart.save(str(path))


def line_pieces(df: pd.DataFrame, y: str, by: list[str]) -> pd.DataFrame:
    """The rows of ``df`` with a value in ``y``, and a ``piece`` column naming one unbroken line: a row without a
    value (an empty bin, a gap) ends the piece of its ``by`` unit, so a chart drawing one line per piece never
    bridges a gap."""
    d = df.reset_index(drop=True)
    missing = ~np.isfinite(pd.to_numeric(d[y], errors="coerce").to_numpy(dtype=np.float64))
    unit = d[by].astype(str).agg(" · ".join, axis=1) if by else pd.Series("", index=d.index)
    broken = pd.Series(missing.astype(int), index=d.index).groupby(unit).cumsum()
    out = d.assign(piece=unit + " #" + broken.astype(str))
    return out[~missing].reset_index(drop=True)


def write_analysis_report(out: AnalysisOutputs, out_dir: Path, bin_s: float, smoothing: Smoothing,
                          threshold: float | None, scale: ScaleConversion, sources: list[str],
                          user: str | None = None) -> Path:
    """The analysis report (Markdown, figures) in ``out_dir``; ``user`` (default: the OS user) is who made it."""
    from mgs_core.access.who import os_user

    out_dir = Path(out_dir)
    _plot_curves(out.frames, out.bins, out_dir / "curves.png")
    _html_chart(out.bins, out_dir / "curves.html")
    lines = ["# MGS Live score analysis", "", _stamp(), "", PROVENANCE, "",
             f"- Made by: {user or os_user()}",
             f"- Results: {', '.join(sources)}",
             f"- Time bins: {bin_s:g} s; smoothing for the per-frame curves: {smoothing.label()} (over scored frames "
             "only; bins and summaries use the raw scores)",
             f"- Threshold: {threshold:g} (score_0_9 > threshold)" if threshold is not None else "- Threshold: none",
             f"- Scale conversion: {scale.describe()}", "",
             f"- Animals: {out.animals['animal'].nunique() if len(out.animals) else 0} from {len(sources)} files "
             "(an animal id of the ROI files is one animal, pooled over every file it appears in)",
             "- Gaps (a STOP/START, missing frames, frames the server or decoder could not give) stay gaps: no line "
             "and no bin bridges them", "",
             "## Per animal", "",
             _md_table(human_columns(out.animals.drop(columns=[c for c in ("threshold_0_9",)
                                                               if c in out.animals.columns]))), "",
             "## Per group (over animals)", "",
             _md_table(human_columns(out.groups[[c for c in out.groups.columns if c.endswith("_mean")
                                                 or c in ("group", "n_animals", "n_files")
                                                 or c == "mean_score_0_9_sd"]])), "",
             "## Group comparison per time bin", "",
             "Mann-Whitney U on the animals' bin means (two-sided); Cliff's delta > 0 means group A scores higher. "
             "p (Holm) is Holm-corrected over the bins of a pair. Bin -1 compares each animal's mean over bins. "
             "The leading group has the higher median; the higher group repeats it only when p < 0.05.", ""]
    if len(out.tests):
        lines.append(_md_table(human_columns(out.tests.drop(columns=["bin_start_s"]))))
    else:
        lines.append("Only one group: no comparison.")
    lines += ["", "## Animals over time (repeated measures)", ""]
    for t in out.repeated.group_tests:
        lines.append(f"- {t.group_a} vs {t.group_b}: mean of animal means {_fmt(t.mean_a)} vs {_fmt(t.mean_b)} "
                     f"(difference {_fmt(t.difference)}), {'exact' if t.exact else 'Monte-Carlo'} permutation test "
                     f"over {t.n_permutations} relabellings of {t.n_a}+{t.n_b} animals: p = {_fmt(t.p)}"
                     + (f" ({t.reason})" if t.reason else ""))
    for mm in out.repeated.mixed:
        lines.append(f"- random-intercept model (value ~ group + bin + (1 | animal), REML) on {mm.n_units} animals / "
                     f"{mm.n_obs} animal-bins: {mm.group_b} - {mm.group_a} = {_fmt(mm.effect)} (SE {_fmt(mm.se)}), "
                     f"p = {_fmt(mm.p_t)} (t, {mm.n_units - 2} df; Wald z p = {_fmt(mm.p_z)}); variance between "
                     f"animals {_fmt(mm.var_unit)}, within {_fmt(mm.var_resid)}" + (f" ({mm.reason})" if mm.reason else ""))
    for e in out.repeated.time_effects:
        lines.append(f"- change over time within {e.group or NO_GROUP}: Friedman chi2 = {_fmt(e.statistic)}, "
                     f"p = {_fmt(e.p)} ({e.n_units} animals x {e.n_bins} bins)" + (f"; {e.reason}" if e.reason else ""))
    lines += ["", "## Files", "",
              "- `frames.csv` / `frames.parquet`: per frame, score_0_9, score_smooth_0_9, mgs_0_2",
              "- `bins.csv` / `bins.parquet`, `animals.csv`, `groups.csv`, `group_tests.csv`",
              "- `curves.png`, `curves.html` (interactive)", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _plot_agreement(rep: AgreementReport, out_dir: Path) -> tuple[Path, Path]:
    plt = _pyplot()
    unit = "score 0-9" if rep.scale == "0-9" else "MGS 0/1/2"
    hi = 9 if rep.scale == "0-9" else 2
    targets = rep.raters + (["rater_mean"] if len(rep.raters) > 1 else [])
    fig, ax = plt.subplots(figsize=(6, 6))
    rng = np.random.default_rng(0)
    jitter = 0.0 if rep.scale == "0-9" else 0.06
    for name in targets:
        x = rep.ratings[name].to_numpy(float) + rng.normal(0, jitter, len(rep.ratings)) * (jitter > 0)
        ax.scatter(x, rep.ratings["model"], s=18, alpha=0.7, label=name)
    ax.plot([0, hi], [0, hi], "k--", lw=1, label="identity")
    ax.set_xlabel(f"human ({unit})")
    ax.set_ylabel(f"model ({unit})")
    ax.set_xlim(-0.3, hi + 0.3)
    ax.set_ylim(-0.3, hi + 0.3)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    scatter = out_dir / "scatter.png"
    fig.savefig(scatter, dpi=110)
    plt.close(fig)
    pairs = rep.model_vs_rater
    fig, axes = plt.subplots(1, len(pairs), figsize=(5 * len(pairs), 4.2), squeeze=False, sharey=True)
    for ax, p in zip(axes[0], pairs):
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.scatter(p.ba.mean, p.ba.diff, s=16, alpha=0.7)
        for y, style in ((p.ba.bias, "-"), (p.ba.loa_low, "--"), (p.ba.loa_high, "--")):
            if np.isfinite(y):
                ax.axhline(y, color="C3", ls=style, lw=1)
        ax.set_title(f"model - {p.b}\nbias {_fmt(p.ba.bias, 2)}, LoA [{_fmt(p.ba.loa_low, 2)}, {_fmt(p.ba.loa_high, 2)}]",
                     fontsize=9)
        ax.set_xlabel(f"mean of model and {p.b} ({unit})")
        ax.set_ylabel("difference (model - human)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    ba = out_dir / "bland_altman.png"
    fig.savefig(ba, dpi=110)
    plt.close(fig)
    return scatter, ba


def per_bin_table(rep: AgreementReport) -> pd.DataFrame:
    """Model error per human-score bin, for every model-vs-human pair: the human score rounded to a whole number
    (0-9, or the MGS category), with n, MAE and bias (model - human) in that bin."""
    from mgs_core.evaluate import mae_per_bin

    rows = []
    for p in rep.model_vs_rater:
        human = rep.ratings[p.b].to_numpy(float)
        for b, e in sorted(mae_per_bin(human, rep.ratings["model"].to_numpy(float)).items()):
            rows.append({"human": p.b, "human_score_bin": b, "n": e.n, "mae": e.mae, "bias": e.bias})
    return pd.DataFrame(rows, columns=["human", "human_score_bin", "n", "mae", "bias"])


def write_agreement_report(rep: AgreementReport, out_dir: Path, key_name: str, rater_files: list[str],
                           model: str = "", data: str = "") -> Path:
    """agreement.md + .csv + plots + agreement.html. ``model`` / ``data`` describe the model whose scores are in
    the key and the frames (stated in the report; defaults say they come from the key file)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _plot_agreement(rep, out_dir)
    rep.table().to_csv(out_dir / "agreement.csv", index=False)
    rep.ratings.to_csv(out_dir / "ratings.csv", index=False)
    scale_txt = "continuous 0-9" if rep.scale == "0-9" else "classic MGS 0/1/2 (model scores converted)"
    cols = ["b", "n", "mae", "pearson_r", "icc_2_1", "icc_3_1", "ba_bias", "ba_loa_low", "ba_loa_high",
            "kappa_linear_0_2", "kappa_quadratic_0_2"]
    mv = pd.DataFrame([p.row() for p in rep.model_vs_rater])
    for c in ("icc_2_1", "icc_3_1"):
        mv[c] = [f"{_fmt(v)} [{_fmt(lo, 2)}, {_fmt(hi, 2)}]" for v, lo, hi in
                 zip(mv[c], mv[f"{c}_ci_low"], mv[f"{c}_ci_high"])]
    mv = mv[cols].rename(columns={"b": "human", "icc_2_1": "icc_2_1 [95% CI]", "icc_3_1": "icc_3_1 [95% CI]"})
    lines = ["# Model vs blinded human scoring: agreement report", "", _stamp(), "", PROVENANCE, "",
             f"- Model: {model or 'the model whose scores are in the key file'}",
             f"- Data: {data or 'the images listed in the key file'}",
             f"- Key file: {key_name}; {len(rep.ratings)} images",
             f"- Raters: {', '.join(rep.raters)} (files: {', '.join(rater_files)})",
             f"- Scale of the statistics: {scale_txt}", f"- Scale conversion: {rep.conversion.describe()}",
             "- ICC(2,1): two-way random, absolute agreement, single rater; ICC(3,1): two-way mixed, consistency. "
             "Bland-Altman difference = model - human, limits of agreement = bias +/- 1.96 SD. Kappa: weighted "
             "Cohen's kappa on MGS 0/1/2 (linear and quadratic weights).", "",
             "## Model vs each human", "", _md_table(mv), ""]
    notes = [f"- {p.b}: {p.row()['note']}" for p in rep.model_vs_rater if p.row()["note"]]
    if notes:
        lines += ["Undefined statistics:", *notes, ""]
    flagged = {r: ims for r, ims in rep.not_scorable.items() if ims}
    lines += ["## Images without a scorable eye", ""]
    if flagged:
        lines.append("The model reported a visible eye in every key image; these raters marked some as not scorable "
                     "(x). Those images are left out of that rater's statistics. Many such images mean the model "
                     "scores frames it should not (e.g. head turned away, grooming): check the eye detection.")
        lines.append("")
        for r, ims in flagged.items():
            lines.append(f"- {r}: {len(ims)} of {len(rep.ratings)} ({100.0 * len(ims) / len(rep.ratings):.0f} %): "
                         + ", ".join(ims[:20]) + (" ..." if len(ims) > 20 else ""))
    else:
        lines.append("Every rater scored every image (none marked x).")
    lines.append("")
    if rep.inter_rater:
        ir = pd.DataFrame([p.row() for p in rep.inter_rater])[["a", "b"] + cols[1:]]
        lines += ["## Between humans", "",
                  f"All {len(rep.raters)} humans together: ICC(2,1) = {_fmt(rep.inter_rater_icc_2_1.value)} "
                  f"[95% CI {_fmt(rep.inter_rater_icc_2_1.ci_low)}, {_fmt(rep.inter_rater_icc_2_1.ci_high)}], "
                  f"ICC(3,1) = {_fmt(rep.inter_rater_icc_3_1.value)} "
                  f"[95% CI {_fmt(rep.inter_rater_icc_3_1.ci_low)}, {_fmt(rep.inter_rater_icc_3_1.ci_high)}]"
                  + (f" ({rep.inter_rater_icc_2_1.reason})" if rep.inter_rater_icc_2_1.reason else ""), "",
                  _md_table(ir), ""]
    bins = per_bin_table(rep)
    bins.to_csv(out_dir / "per_bin.csv", index=False)
    lines += ["## Model error per human-score bin", "",
              "Bins: the human score rounded to a whole number; bias = mean of model - human in the bin.", "",
              _md_table(bins) if len(bins) else "No image scored by both.", ""]
    lines += ["## Plots", "", "![scatter](scatter.png)", "", "![Bland-Altman](bland_altman.png)", "",
              "Files: `agreement.csv` (all statistics), `ratings.csv` (per image: model, humans, rater mean), "
              "`per_bin.csv`, `agreement.html` (this report as one printable page).", ""]
    path = out_dir / "agreement.md"
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    (out_dir / "agreement.html").write_text(markdown_to_html(text, out_dir, "MGS Live agreement report"),
                                            encoding="utf-8")
    return path


def _inline(text: str) -> str:
    import html
    import re

    t = html.escape(text, quote=False)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    t = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)
    return t


def markdown_to_html(text: str, base_dir: Path, title: str) -> str:
    """The reports' Markdown (headings, paragraphs, lists, pipe tables, images) as one self-contained printable
    HTML page; images next to the report are embedded as data URIs, so the file can be filed or printed alone."""
    import base64
    import html
    import re

    out, para, items, table = [], [], [], []

    def flush():
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
        if table:
            rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in table if not re.match(r"^\|(-+\|)+$", r.strip())]
            head, body = rows[0], rows[1:]
            out.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                       + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
                       + "</tbody></table>")
            table.clear()

    for line in text.splitlines():
        img = re.match(r"^!\[([^\]]*)\]\(([^)]+)\)$", line.strip())
        if not line.strip():
            flush()
        elif line.startswith("#"):
            flush()
            level = min(len(line) - len(line.lstrip("#")), 4)
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif img:
            flush()
            src = Path(base_dir) / img.group(2)
            if src.is_file() and src.suffix.lower() == ".png":
                data = base64.b64encode(src.read_bytes()).decode("ascii")
                out.append(f'<figure><img alt="{html.escape(img.group(1))}" src="data:image/png;base64,{data}"></figure>')
        elif line.lstrip().startswith("|"):
            if para or items:
                flush()
            table.append(line)
        elif line.startswith("- "):
            if para or table:
                flush()
            items.append(line[2:])
        else:
            if table:
                flush()
            para.append(line.strip())
    flush()
    css = ("body{font-family:Helvetica,Arial,sans-serif;max-width:60em;margin:2em auto;color:#222;font-size:11pt}"
           "table{border-collapse:collapse;margin:0.5em 0;font-size:9pt}th,td{border:1px solid #999;padding:2px 6px;"
           "text-align:left}th{background:#eee}img{max-width:100%}code{font-size:90%}"
           "@media print{body{margin:0;max-width:none}figure,table{page-break-inside:avoid}}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{css}"
            "</style></head><body>" + "\n".join(out) + "</body></html>")
