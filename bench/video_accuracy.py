"""Video accuracy (issue 4): the scoring engine on a rendered ground-truth video and on the real footage.

    .venv/bin/python bench/video_accuracy.py [--seed 424242] [--seconds 30] [--out /tmp/mgs-video-accuracy]
        [--real ../shared/real] [--real-max-frames N] [--backend auto] [--seg S.pt --score-model R.pt]
        [--match-radius PX]

Renders a 4-mouse 1080p recording with a seed not used in training (default 424242), scores it with the shipped
weights and compares with the renderer's truth.csv under the match rule (docs/evaluation.md): an eye counts as found
only within half the true eye length of the true centre (truth.csv without eye_length: --match-radius PX in frame
pixels, else the fallback, printed); found/false/miss counts, MAE over found eyes, eye-visible F1, eye-centre error
in frame pixels. Then scores every frame of the real videos/images (unlabelled: rows, eye-visible rate, speed).
Logic: mgs_core/video_accuracy.py. Ground truth is synthetic (our renderer), not human scores of real mice.
"""
import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

def _num(v: float) -> str:
    return f"{v:.2f}" if v == v else "n/a"


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mgs_core.pipeline import DEFAULT_DETAIL

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=424242)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--out", default=os.path.join(os.path.expanduser("~"), ".cache", "mgs-live", "video-accuracy"))
    p.add_argument("--real", default=str(Path(__file__).resolve().parents[2] / "shared" / "real"))
    p.add_argument("--real-max-frames", type=int)
    p.add_argument("--skip-synthetic", action="store_true")
    p.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx"])
    p.add_argument("--seg")
    p.add_argument("--score-model")
    p.add_argument("--match-radius", type=float, help="match radius (frame px) when truth.csv has no eye_length")
    p.add_argument("--detail", type=int, default=DEFAULT_DETAIL,
                   help=f"detail-crop cap (1 = plain 256-px crops; default {DEFAULT_DETAIL}, mgs_core/pipeline.py)")
    p.add_argument("--json", help="write all figures here as JSON")
    a = p.parse_args()
    from mgs_core.runners.local import LocalRunner
    from mgs_core.video_accuracy import real_footage, synthetic_accuracy

    runner = LocalRunner.from_checkpoints(a.seg, a.score_model, backend=a.backend)
    report = {"detail": a.detail, "backend": runner.backend, "seg_model": runner.info().seg_model.get("sha256"),
              "score_model": runner.info().score_model.get("sha256")}
    if not a.skip_synthetic:
        acc = synthetic_accuracy(runner, a.out, seed=a.seed, seconds=a.seconds, match_radius=a.match_radius,
                                 detail=a.detail)
        c = acc.comparison
        print(f"synthetic video seed {acc.seed}, {acc.seconds:g} s, {acc.frames} frames x 4 ROIs, "
              f"{acc.frames_per_s:.1f} frames/s scoring")
        print(f"  {c.match_rule}")
        print(f"  {c.truth_visible} rows with a visible eye: found {c.found}, missed {c.missed}, wrong eye (false "
              f"detection + miss) {c.wrong_eye} (scored {c.wrong_eye_scores}, mean {_num(c.wrong_eye_mean_score)}); "
              f"false eyes on rows without a visible eye {c.false_eye}")
        print(f"  score MAE {c.mae:.3f} (RMSE {c.rmse:.3f}, r {c.pearson_r:.3f}) on {c.scored} rows found and scored; "
              f"eye-visible precision {c.precision:.3f} recall {c.recall:.3f} F1 {c.f1:.3f}; "
              f"eye-centre error over found eyes median {c.eye_err_median_px:.2f} px, p95 {c.eye_err_p95_px:.2f} px; "
              f"missing rows {c.missing_rows}")
        report["synthetic"] = asdict(acc)
    if Path(a.real).is_dir():
        runs = real_footage(runner, a.real, max_frames=a.real_max_frames, detail=a.detail)
        for r in runs:
            print(f"real {r.source}: {r.frames}/{r.frames_expected} frames, {r.rows} rows, eye visible "
                  f"{100 * r.eye_visible_rate:.1f}%, mean score where visible {r.mean_score_visible:.2f}, "
                  f"{r.frames_per_s:.1f} frames/s" + (f", decode error: {r.decode_error}" if r.decode_error else ""))
        report["real"] = [asdict(r) for r in runs]
    else:
        print(f"real footage folder {a.real} absent: skipped")
    if a.json:
        from mgs_core.evaluation import json_safe

        Path(a.json).write_text(json.dumps(json_safe(report), indent=2, default=str, allow_nan=False) + "\n")
