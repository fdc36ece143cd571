"""TBTFormer's and TriDet's dense networks export to ONNX like LocPointTransformer's (their
outputs are the expected offsets, decoded by the shared post-processing). ONNX is the format
that constrains the heads' operators (no Tensor.unfold on a dynamic time axis)."""

from __future__ import annotations

import pytest
from inference_fixtures import build

from actionformer.config import load_config
from actionformer.export import TOLERANCE, export_model


@pytest.mark.parametrize("model_name", ["TBTFormer", "TriDet"])
def test_distribution_heads_export_to_onnx_at_two_lengths(export_config, tmp_path, model_name):
    overrides = [f"model_name={model_name}", "model.cpu_kernels=false", "model.fpn_type=cs_fpn"]
    model = build(export_config, *overrides)
    meta = export_model(model, load_config(str(export_config), overrides=overrides), tmp_path / "model.onnx", "onnx",
                        class_names=["a", "b", "c"])
    assert meta["max_abs_difference"] <= TOLERANCE
