from __future__ import annotations

import pytest
import torch

from actionformer.modeling import CheckpointError, load_checkpoint, make_meta_arch


@pytest.fixture
def model(tiny_config):
    return make_meta_arch("LocPointTransformer", **tiny_config())


def _perturbed(state):
    return {k: v + 1.0 for k, v in state.items()}


@pytest.mark.parametrize("prefix", ["", "module."])
def test_loads_released_layout_and_prefers_ema(tmp_path, model, prefix):
    plain = {k: v.clone() for k, v in model.state_dict().items()}
    ema = _perturbed(plain)
    path = tmp_path / "epoch_030.pth.tar"
    torch.save({"epoch": 30, "state_dict": {prefix + k: v for k, v in plain.items()},
                "state_dict_ema": {prefix + k: v for k, v in ema.items()}, "optimizer": {}}, path)
    state = load_checkpoint(path, model)
    key = "cls_head.cls_head.conv.bias"
    assert torch.equal(state[key], ema[key])
    assert torch.equal(model.state_dict()[key], ema[key])
    assert torch.equal(load_checkpoint(path, use_ema=False)[key], plain[key])


def test_mismatch_lists_missing_unexpected_and_shapes(tmp_path, model, tiny_config):
    state = dict(model.state_dict())
    state.pop("reg_head.scale.0.scale")
    state["backbone.extra.weight"] = torch.zeros(1)
    state["cls_head.cls_head.conv.bias"] = torch.zeros(7)
    path = tmp_path / "bad.pth.tar"
    torch.save({"state_dict": state}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model)
    msg = str(info.value)
    assert str(path) in msg and "reg_head.scale.0.scale" in msg and "backbone.extra.weight" in msg
    assert "cls_head.cls_head.conv.bias: model (3,) vs checkpoint (7,)" in msg


def test_not_a_checkpoint(tmp_path, model):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.txt"):
        load_checkpoint(text, model)
    listing = tmp_path / "list.pt"
    torch.save([1, 2, 3], listing)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_checkpoint(listing)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pth.tar")


@pytest.mark.parametrize("saved, built", [("v1", "v2"), ("v2", "v1")])
def test_a_checkpoint_of_the_other_head_type_is_refused_naming_the_key(tmp_path, tiny_config, saved, built):
    path = tmp_path / f"{saved}.pth.tar"
    torch.save({"state_dict": make_meta_arch("LocPointTransformer", **tiny_config(), head_type=saved).state_dict()}, path)
    with pytest.raises(CheckpointError, match=f"the checkpoint has {saved} heads.*set model.head_type: {saved}"):
        load_checkpoint(path, make_meta_arch("LocPointTransformer", **tiny_config(), head_type=built))
