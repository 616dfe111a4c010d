"""mgs train soup: the weight average of checkpoints fine-tuned from one parent."""
import json

import pytest
import torch

from mgs_core.cli import main
from mgs_core.errors import InputError
from mgs_core.models import OrbitalNet, load_checkpoint, save_checkpoint
from mgs_core.train.soup import make_soup

PARENT = {"name": "p", "sha256": "ab" * 32}


def _ckpt(tmp_path, name, seed, parent=PARENT, **args):
    torch.manual_seed(seed)
    m = OrbitalNet(patch="scaled", patch_k=1.5, **args)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p))
    return save_checkpoint(m, tmp_path / name, {"parent": parent, "seed": seed, "trained_on": "rendered crops"}), m


def test_soup_is_the_mean_of_the_weights_and_its_card_lists_the_ingredients(tmp_path):
    (pa, a), (pb, b), (pc, c) = (_ckpt(tmp_path, f"{n}.pt", i) for i, n in enumerate("abc"))
    out, card = make_soup([pa, pb, pc], tmp_path / "soup.pt", note="synthetic only")
    soup, loaded = load_checkpoint(out, kind="orbital")
    for k, v in soup.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(v, (a.state_dict()[k] + b.state_dict()[k] + c.state_dict()[k]) / 3, atol=1e-6)
    assert soup.model_args == a.model_args
    assert [i["seed"] for i in loaded["soup_of"]] == [0, 1, 2] and loaded["parent"] == PARENT
    assert loaded["trained_on"] == "synthetic only" and "seed" not in loaded
    assert json.loads((tmp_path / "soup.card.json").read_text())["soup_of"][0]["path"] == str(pa)


def test_different_models_or_parents_are_refused(tmp_path):
    pa, _ = _ckpt(tmp_path, "a.pt", 0)
    other_args, _ = _ckpt(tmp_path, "b.pt", 1, dropout=0.5)
    other_parent, _ = _ckpt(tmp_path, "c.pt", 2, parent={"sha256": "cd" * 32})
    with pytest.raises(InputError, match="not the same model"):
        make_soup([pa, other_args], tmp_path / "s.pt")
    with pytest.raises(InputError, match="same parent"):
        make_soup([pa, other_parent], tmp_path / "s.pt")
    with pytest.raises(InputError, match="at least two"):
        make_soup([pa], tmp_path / "s.pt")
    assert not (tmp_path / "s.pt").exists()


def test_cli_soup(tmp_path, capsys):
    pa, _ = _ckpt(tmp_path, "a.pt", 0)
    pb, _ = _ckpt(tmp_path, "b.pt", 1)
    assert main(["train", "soup", str(pa), str(pb), "--out", str(tmp_path / "s.pt")]) == 0
    card = json.loads((tmp_path / "s.card.json").read_text())
    assert card["command"].startswith("mgs train soup ") and str(pb) in card["command"]
    assert main(["train", "soup", str(pa), str(tmp_path / "missing.pt"), "--out", str(tmp_path / "t.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err
