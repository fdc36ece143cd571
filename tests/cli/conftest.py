"""Fixtures of the engine's CLI tests: a tiny THUMOS-format dataset, its config, a trained run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Tuple

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from engine_cli_fixtures import write_tiny_config, write_tiny_dataset  # noqa: E402
from plot_cli_fixtures import GT, PREDS  # noqa: E402


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny_data")
    return write_tiny_config(root, write_tiny_dataset(root))


@pytest.fixture(scope="session")
def trained_run(tiny_config) -> Path:
    """A 3-epoch run (1 warm-up) validated every epoch; returns its experiment folder."""
    from actionformer.cli.main import main

    code = main(["train", str(tiny_config), "--output", "shared", "--no-progress", "--eval-freq", "1",
                 "--set", "opt.epochs=2"])
    assert code == 0
    return tiny_config.parent / "ckpt" / "tiny_shared"


@pytest.fixture
def gt_and_pred_files(tmp_path) -> Tuple[str, str]:
    """The plot / analyze tests' ground truth and predictions, written as gt.json and preds.json."""
    gt, preds = tmp_path / "gt.json", tmp_path / "preds.json"
    gt.write_text(json.dumps(GT))
    preds.write_text(json.dumps(PREDS))
    return str(gt), str(preds)
