"""The evaluation package is plain numpy: no torch, no pandas, no model code."""

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_importing_evaluation_pulls_in_neither_torch_nor_pandas():
    code = ("import sys, actionformer.evaluation, actionformer.cli.evaluate; "
            "bad = [m for m in ('torch', 'pandas', 'joblib', 'actionformer.modeling', 'actionformer.engine') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_name_resolves_to_our_evaluator():
    import actionformer
    from actionformer.evaluation import ANETdetection

    assert actionformer.ANETdetection is ANETdetection
