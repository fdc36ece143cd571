"""modeling/meta_archs/base.py: building from a config, the training-state protocol, and the
steps a subclass overrides (heads, losses by name)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import HEADS, META_ARCHS
from actionformer.modeling.meta_archs import LocPointTransformer
from actionformer.modeling.meta_archs.base import MetaArch, constructor_kwargs


def test_constructor_kwargs_takes_what_the_constructor_accepts():
    class Model:
        def __init__(self, a, b=2):
            pass

    assert constructor_kwargs(Model, {"a": 1, "b": 3, "other": 4}) == {"a": 1, "b": 3}
    with pytest.raises(ValueError, match="Model needs the model key\\(s\\) a"):
        constructor_kwargs(Model, {"b": 3})


def test_from_config_builds_the_registered_model(tiny_config):
    cfg = {"model_name": "LocPointTransformer", "model": dict(tiny_config(), not_a_parameter=1)}
    model = META_ARCHS.get("LocPointTransformer").from_config(cfg)
    assert isinstance(model, LocPointTransformer) and isinstance(model, MetaArch)
    assert model.task == "detection"


def test_training_state_round_trip(tiny_config, make_video):
    model = LocPointTransformer(**tiny_config()).train()
    model([make_video(64, seed=1)])
    state = model.training_state()
    assert set(state) == {"loss_normalizer"} and state["loss_normalizer"] != 100
    fresh = LocPointTransformer(**tiny_config())
    fresh.load_training_state(state)
    assert fresh.loss_normalizer == state["loss_normalizer"]
    assert "loss_normalizer" not in fresh.state_dict()  # the original's checkpoint keys stay exact


def test_regression_loss_is_chosen_by_name(tiny_config, make_video):
    def build(reg_loss_type):
        cfg = tiny_config()
        cfg["train_cfg"] = dict(cfg["train_cfg"], reg_loss_type=reg_loss_type, droppath=0.0)
        return LocPointTransformer(**cfg).train()

    diou, giou = build("diou"), build("giou")
    giou.load_state_dict(diou.state_dict())
    videos = [make_video(64, seed=3)]
    with torch.no_grad():
        a, b = diou(videos), giou(videos)
    torch.testing.assert_close(a["cls_loss"], b["cls_loss"])
    # GIoU is 1 - IoU here; DIoU adds the squared centre distance: never smaller
    assert b["reg_loss"] <= a["reg_loss"] and not torch.equal(a["reg_loss"], b["reg_loss"])


def test_a_subclass_swaps_a_head_by_name(tiny_config, monkeypatch):
    class WideRegHead(HEADS.get("reg")):
        pass

    monkeypatch.setitem(HEADS._entries, "test_wide_reg", WideRegHead)

    class Variant(LocPointTransformer):
        reg_head_name = "test_wide_reg"

    model = Variant(**tiny_config())
    assert type(model.reg_head) is WideRegHead
    assert set(model.state_dict()) == set(LocPointTransformer(**tiny_config()).state_dict())


def test_cpu_kernels_key_reaches_the_model(tiny_config):
    from actionformer.config import config_from_dict

    for value in (True, False):
        cfg = config_from_dict({"model": {"cpu_kernels": value}})
        cfg["model"] = dict(tiny_config(), cpu_kernels=cfg["model"]["cpu_kernels"])
        assert META_ARCHS.get("LocPointTransformer").from_config(cfg).cpu_kernels is value
