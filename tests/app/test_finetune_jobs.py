"""Background fine-tuning jobs: a separate process that reports progress, finishes with a model, can be cancelled,
and refuses a set too small for k-fold CV before starting."""
import time

import pytest

from mgs_core.errors import DatasetError
from fake_models import EyeAtCentreRunner
from mgs_core.labels.pick import VideoInput, create_label_set

pytestmark = pytest.mark.slow


@pytest.fixture()
def setup(tmp_path, data_dir):
    import torch

    from mgs_core.io.rois import load_rois
    from mgs_core.models import OrbitalNet, UNet, save_checkpoint

    video = data_dir / "demo.mp4"
    rois = video.with_name("demo.rois.json")
    ls = create_label_set(tmp_path / "labels" / "s1", [VideoInput(video, load_rois(rois) if rois.is_file() else None)],
                          EyeAtCentreRunner(), 8, min_gap_s=0.3, stride=10)
    ls.add_rater("ann")
    for k, it in enumerate(ls.items):
        ls.label("ann", it.name, k % 9, (128, 128))
    torch.manual_seed(0)
    seg, score = tmp_path / "p_seg.pt", tmp_path / "p_score.pt"
    save_checkpoint(UNet(widths=(4, 8, 16), input_size=64, keypoint=True), seg, {"name": "tiny U-Net"})
    save_checkpoint(OrbitalNet(), score, {"name": "tiny regressor"})
    return ls, (str(seg), str(score)), tmp_path / "labels"


def _wait(root, job, states, timeout=600):
    from app_support import finetune_jobs

    t0 = time.time()
    while time.time() - t0 < timeout:
        st = finetune_jobs.read_status(finetune_jobs.jobs_root(root) / job)
        if st["state"] in states:
            return st
        time.sleep(0.5)
    raise AssertionError(f"job still {st['state']} after {timeout} s")


def test_job_runs_in_its_own_process_and_finishes(setup):
    from app_support import finetune_jobs

    ls, parent, root = setup
    job = finetune_jobs.start(root, ls, "ann", parent, "tiny parents", 1, 2, 2)
    st = _wait(root, job, ("done", "failed", "interrupted"))
    assert st["state"] == "done", st
    assert st["done"] == st["total"] == 2 * 2 + 1 + 2
    assert st["card"]["parent"]["score"]["name"] == "tiny regressor" and st["card"]["data"]["raters"] == ["ann"]
    assert [j["id"] for j in finetune_jobs.list_jobs(root)] == [job]


def test_cancel_and_too_small(setup):
    from app_support import finetune_jobs

    ls, parent, root = setup
    with pytest.raises(DatasetError, match="need at least"):
        finetune_jobs.start(root, ls, "ann", parent, "tiny parents", 1, 1, 5)
    assert finetune_jobs.list_jobs(root) == []  # nothing left behind
    job = finetune_jobs.start(root, ls, "ann", parent, "tiny parents", 1, 50, 2)
    _wait(root, job, ("running",))
    finetune_jobs.cancel(root, job)
    st = _wait(root, job, ("cancelled", "done", "failed"))
    assert st["state"] == "cancelled"
