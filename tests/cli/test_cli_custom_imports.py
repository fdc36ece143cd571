"""A model family added from outside the package: ``tests/plugins/toy_plugin.py`` registers a head,
a loss and a meta-architecture with a key of its own, and ``actionformer train`` / ``eval`` run
it through ``custom_imports`` alone. Subprocesses, so that the plug-in's registrations do not
leak into the other tests' registries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from engine_cli_fixtures import write_tiny_config, write_tiny_dataset

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "toy_plugin.py"


def _cli(*args, cwd: Path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"),
                                                         os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "actionformer", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def plugin_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    path = write_tiny_config(root, write_tiny_dataset(root))
    cfg = yaml.safe_load(path.read_text())
    cfg["custom_imports"] = [str(PLUGIN)]
    cfg["model"]["meta_arch"] = "ToyFormer"  # the seed fork's spelling of model_name
    cfg["model"]["toy_offset_scale"] = 0.5
    cfg["train_cfg"]["reg_loss_type"] = "toy_l1"
    cfg["opt"]["epochs"] = 1
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_train_and_eval_a_plugin_model(plugin_config):
    root = plugin_config.parent
    code, out, err = _cli("train", plugin_config, "--output", "toy", "--no-progress", cwd=root)
    assert code == 0, err[-3000:]
    run = root / "ckpt" / "tiny_toy"
    log = (run / "log.txt").read_text()
    assert "Training ToyFormer" in log and "Average mAP:" in log
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["model_name"] == "ToyFormer" and saved["model"]["toy_offset_scale"] == 0.5
    assert saved["train_cfg"]["reg_loss_type"] == "toy_l1"
    weights = torch.load(run / "last.pth.tar", weights_only=True)["state_dict"]
    assert "reg_head.proj.conv.weight" in weights  # the plug-in's head, not the built-in one
    assert not any(k.startswith("reg_head.offset_head") for k in weights)

    code, out, err = _cli("eval", plugin_config, run, cwd=root)
    assert code == 0, err[-3000:]
    assert out.rstrip().splitlines()[-1].startswith("Average mAP:")


CHECKS = {
    "model.toy_offset_scale=-1": "model.toy_offset_scale: expected float > 0, got -1",
    "model.toy_ofset_scale=2": "model.toy_ofset_scale: unknown key; did you mean 'toy_offset_scale'?",
    "train_cfg.reg_loss_type=toy_l2": "(did you mean 'toy_l1'?)",
}


def test_plugin_keys_are_checked_like_builtin_ones(plugin_config):
    # one process loads the config with each bad override (a `train` process per case is slow)
    script = (
        "import sys\n"
        "from actionformer.config import ConfigurationError, load_config\n"
        "for override in sys.argv[2:]:\n"
        "    try:\n"
        "        load_config(sys.argv[1], overrides=[override])\n"
        "        print(override, 'ACCEPTED')\n"
        "    except ConfigurationError as exc:\n"
        "        print(override, '->', exc)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    proc = subprocess.run([sys.executable, "-c", script, str(plugin_config), *CHECKS], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for override, message in CHECKS.items():
        line = next(line for line in proc.stdout.splitlines() if line.startswith(override))
        assert message in line, line
    # and the command line says so before anything runs
    code, _, err = _cli("train", plugin_config, "--output", "bad", "--set", "model.toy_offset_scale=0",
                        cwd=plugin_config.parent)
    assert code == 2 and "model.toy_offset_scale: expected float > 0" in err
    assert not (plugin_config.parent / "ckpt" / "tiny_bad").exists()
