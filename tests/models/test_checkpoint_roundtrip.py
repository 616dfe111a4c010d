import json

import pytest
import torch

from mgs_core.errors import CheckpointError
from mgs_core.models import OrbitalNet, UNet, load_checkpoint, save_checkpoint


def test_unet_roundtrip_rebuilds_itself(tmp_path):
    torch.manual_seed(0)
    m = UNet(widths=(4, 8, 16), input_size=64).eval()
    p = save_checkpoint(m, tmp_path / "seg.pt", {"seed": 7})
    loaded, card = load_checkpoint(p, kind="unet")
    x = torch.rand(2, 3, 64, 64)
    with torch.inference_mode():
        assert torch.allclose(m(x), loaded(x))
    assert loaded.model_args["widths"] == [4, 8, 16] and card["seed"] == 7 and len(card["sha256"]) == 64
    assert json.loads((tmp_path / "seg.card.json").read_text())["parameters"] == sum(q.numel() for q in m.parameters())
    assert (tmp_path / "seg.card.md").read_text().startswith("# Model card")


def test_wrong_kind_and_version_refused(tmp_path):
    p = save_checkpoint(OrbitalNet(), tmp_path / "score.pt")
    with pytest.raises(CheckpointError, match="expected a 'unet'"):
        load_checkpoint(p, kind="unet")
    payload = torch.load(p, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="version"):
        load_checkpoint(tmp_path / "future.pt")


def test_table1_architecture_exact():
    m = OrbitalNet()
    convs = [l for l in m.features if isinstance(l, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(6, (5, 5)), (16, (5, 5))]
    dense = [l for l in m.regressor if isinstance(l, torch.nn.Linear)]
    assert [d.out_features for d in dense] == [120, 84, 1]
    # 456 + 2416 (convs) + 48120 + 240 (dense 120 + BN) + 10164 + 168 (dense 84 + BN) + 85 (output)
    assert sum(p.numel() for p in m.parameters()) == 61_649


def test_wider_table1_net_keeps_the_layers_and_rebuilds_from_its_checkpoint(tmp_path):
    assert "width" not in OrbitalNet().model_args  # the paper's net records nothing extra
    m = OrbitalNet(width=2, patch="scaled", patch_k=1.5)
    convs = [l for l in m.features if isinstance(l, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [12, 32]
    assert [d.out_features for d in m.regressor if isinstance(d, torch.nn.Linear)] == [240, 168, 1]
    path = save_checkpoint(m.eval(), tmp_path / "w2.pt")
    back, _ = load_checkpoint(path, kind="orbital")
    x = torch.rand(3, 3, 50, 50)
    assert back.model_args["width"] == 2 and torch.allclose(back.eval()(x), m(x))
    with pytest.raises(ValueError, match="width"):
        OrbitalNet(width=0)
