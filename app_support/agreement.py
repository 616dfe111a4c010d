"""The Agreement page's work: the files of `mgs agree` from a label set, the report, and a ZIP of everything.

The page computes agreement exactly as the CLI does: it writes ``key.csv`` and one ``<rater>.csv`` per rater
(:func:`mgs_core.labels.exchange.agreement_files`), then calls :func:`mgs_core.analysis.raters.agree` and
:func:`mgs_core.analysis.report.write_agreement_report` on those files, so ``mgs agree key.csv alice.csv ...`` on the
downloaded files gives the same numbers.
"""
from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app_support import audit_trail, identity
from mgs_core.analysis.raters import AgreementReport


@dataclass(frozen=True)
class AgreementRun:
    report: AgreementReport
    folder: Path
    files: object  # AgreementFiles
    model: str
    data: str
    command: str


def run(ls, raters: list[str], out_root: Path, runner=None, model_label: str = "", cuts: str = "3,6") -> AgreementRun:
    """Agreement of the model with ``raters`` on label set ``ls``. ``runner`` given: its scores of the crops
    (e.g. the active model after fine-tuning); else the scores of the model that chose the frames."""
    from mgs_core.analysis.raters import agree
    from mgs_core.analysis.report import write_agreement_report
    from mgs_core.analysis.scale import ScaleConversion
    from mgs_core.labels.exchange import agreement_files, rescore

    conv = ScaleConversion.parse(cuts)
    folder = Path(out_root) / f"{ls.name}_{time.strftime('%Y%m%d-%H%M%S')}"
    scores = rescore(ls, runner) if runner is not None else None
    files = agreement_files(ls, raters, folder / "files", scores, conv)
    rep = agree(files.key, files.raters, files.scale, conv)
    m = ls.meta.get("model", {})
    model = model_label or f"the model that chose the frames (score net: {m.get('score', '?')}, segmentation: " \
                           f"{m.get('segmentation', '?')})"
    srcs = ", ".join(s["video"] for s in ls.meta.get("sources", []))
    left = "; ".join(f"{n} left out: {why}" for why, n in files.left_out.items())
    data = f"label set {ls.name} ({len(ls)} frames from {srcs}); {files.n_items} compared" + (f" ({left})" if left else "")
    data += f"; report made by {identity.current_user()}"
    write_agreement_report(rep, folder, "key.csv", [p.name for p in files.raters], model=model, data=data)
    cmd = (f"mgs agree key.csv {' '.join(p.name for p in files.raters)} --scale {files.scale} --cuts {cuts} "
           "--out report")
    audit_trail.record("report.agreement", folder.name, set=ls.name, raters=",".join(raters))
    return AgreementRun(rep, folder, files, model, data, cmd)


def zip_bytes(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder).as_posix())
    return buf.getvalue()
