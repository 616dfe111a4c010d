import pytest
import torch

from mgs_core.errors import CheckpointError
from mgs_core.models import EyeCheckNet, OrbitalNet, load_checkpoint, save_checkpoint


def test_one_logit_per_patch_and_threshold_is_a_model_argument(tmp_path):
    net = EyeCheckNet(threshold=0.37, patch_k=1.5).eval()
    assert net(torch.rand(5, 3, 50, 50)).shape == (5,)
    path = save_checkpoint(net, tmp_path / "check.pt", {"name": "eye check"})
    back, card = load_checkpoint(path, kind="eyecheck")
    assert isinstance(back, EyeCheckNet) and back.threshold == pytest.approx(0.37) and back.patch_k == 1.5
    x = torch.rand(3, 3, 50, 50)
    assert torch.allclose(back(x), net(x))
    assert card["kind"] == "eyecheck" and card["name"] == "eye check"


def test_wrong_kind_and_bad_threshold_are_refused(tmp_path):
    path = save_checkpoint(OrbitalNet(), tmp_path / "score.pt")
    with pytest.raises(CheckpointError, match="expected a 'eyecheck' model"):
        load_checkpoint(path, kind="eyecheck")
    with pytest.raises(ValueError, match="threshold"):
        EyeCheckNet(threshold=1.5)
