"""--set overrides: parsing values as YAML and applying them."""

from __future__ import annotations

import pytest

from actionformer.config import ConfigurationError, apply_overrides, parse_override


@pytest.mark.parametrize("text,path,value", [
    ("opt.epochs=5", ["opt", "epochs"], 5),
    ("opt.learning_rate=0.001", ["opt", "learning_rate"], 0.001),
    ("opt.learning_rate=1e-4", ["opt", "learning_rate"], 1e-4),
    ("opt.learning_rate=2E3", ["opt", "learning_rate"], 2000.0),
    ("dataset.crop_ratio=null", ["dataset", "crop_ratio"], None),
    ("dataset.crop_ratio=", ["dataset", "crop_ratio"], None),
    ("model.use_abs_pe=true", ["model", "use_abs_pe"], True),
    ("model.n_mha_win_size=[9,9,9,9,9,-1]", ["model", "n_mha_win_size"], [9, 9, 9, 9, 9, -1]),
    ("model.regression_range=[[0, 4], [4, 1e4]]", ["model", "regression_range"],
     [[0, 4], [4, "1e4"]]),
    ("dataset.json_file=./data/a=b.json", ["dataset", "json_file"], "./data/a=b.json"),
    ("dataset.file_prefix='v_'", ["dataset", "file_prefix"], "v_"),
    ("trainer.device=cuda:1", ["trainer", "device"], "cuda:1"),
    (" opt.epochs =7", ["opt", "epochs"], 7),
])
def test_parse_override(text, path, value):
    assert parse_override(text) == (path, value)


@pytest.mark.parametrize("text,match", [
    ("opt.epochs", "expected KEY.PATH=VALUE"),
    ("=5", "empty key"),
    ("opt..epochs=5", "empty key"),
    ("model.n_mha_win_size=[9, 9", "value is not valid YAML"),
])
def test_malformed_overrides(text, match):
    with pytest.raises(ConfigurationError, match=match) as err:
        parse_override(text)
    assert "--set" in str(err.value) and repr(text) in str(err.value)


def test_apply_overrides_returns_a_new_dict():
    cfg = {"opt": {"epochs": 30, "type": "AdamW"}}
    out = apply_overrides(cfg, ["opt.epochs=5", "opt.epochs=6", "loader.batch_size=2"])
    assert out == {"opt": {"epochs": 6, "type": "AdamW"}, "loader": {"batch_size": 2}}
    assert cfg == {"opt": {"epochs": 30, "type": "AdamW"}}


def test_apply_overrides_accepts_a_single_string():
    assert apply_overrides({}, "a.b=1") == {"a": {"b": 1}}


def test_apply_overrides_keeps_shared_sections_shared():
    train_cfg = {"dropout": 0.0}
    cfg = {"train_cfg": train_cfg, "model": {"train_cfg": train_cfg}}
    out = apply_overrides(cfg, ["train_cfg.dropout=0.1"])
    assert out["model"]["train_cfg"] is out["train_cfg"]
    assert out["model"]["train_cfg"]["dropout"] == 0.1


def test_override_through_a_value_is_an_error_and_all_are_reported():
    with pytest.raises(ConfigurationError) as err:
        apply_overrides({"opt": {"epochs": 30}}, ["opt.epochs.x=5", "bad", "opt.type=SGD"])
    assert err.value.problems == [
        "override 'opt.epochs.x=5': opt.epochs is a value, not a section",
        "override 'bad': expected KEY.PATH=VALUE, e.g. opt.epochs=5",
    ]


def test_add_override_argument_collects_every_set():
    import argparse

    from actionformer.config import add_override_argument

    parser = argparse.ArgumentParser()
    add_override_argument(parser)
    args = parser.parse_args(["--set", "opt.epochs=5", "a.b=1", "--set", "c.d=[1,2]"])
    assert args.set == ["opt.epochs=5", "a.b=1", "c.d=[1,2]"]
    assert parser.parse_args([]).set == []
