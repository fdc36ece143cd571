"""Exported dense networks (ONNX through onnxruntime, TorchScript) match PyTorch at two input
lengths, and their outputs decode to the detections PyTorch gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actionformer.export import (
    TOLERANCE, DenseNetwork, detect_from_outputs, export_model, length_multiple, load_metadata, pad_features,
)
from actionformer.export.formats import runner
from actionformer.postprocess import detect
from inference_fixtures import FEAT_DIM, build


@pytest.fixture(scope="module")
def model(export_config):
    return build(export_config, "model.cpu_kernels=false")


@pytest.mark.parametrize("fmt, name", [("onnx", "model.onnx"), ("torchscript", "model.pt")])
def test_round_trip_at_two_lengths(model, export_config, tmp_path, fmt, name):
    from actionformer.config import load_config

    cfg = load_config(str(export_config))
    path = tmp_path / name
    meta = export_model(model, cfg, path, fmt, class_names=["a", "b", "c"])
    assert meta["max_abs_difference"] <= TOLERANCE and load_metadata(path)["length_multiple"] == length_multiple(model)
    run, dense, multiple = runner(path, fmt), DenseNetwork(model).eval(), meta["length_multiple"]
    rng = np.random.default_rng(3)
    for steps in (multiple + 5, 3 * multiple):  # padded inside the last block / an exact multiple
        feats = rng.normal(size=(steps, FEAT_DIM)).astype(np.float32)
        x, masks = pad_features(feats, multiple)
        got = run(x, masks)
        with torch.no_grad():
            want = [t.numpy() for t in dense(torch.from_numpy(x), torch.from_numpy(masks))]
        assert len(got) == len(want) == 3 * len(model.fpn_strides)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            assert np.array_equal(g, w) if w.dtype == bool else np.abs(g - w).max() <= TOLERANCE
        video = {"video_id": "v", "fps": 30.0, "duration": (steps * 4 + 12) / 30.0, "feat_stride": 4,
                 "feat_num_frames": 16}
        found = detect_from_outputs(got, meta, video)
        with torch.no_grad():
            out = model.forward_dense(torch.from_numpy(x), torch.from_numpy(masks))
        expected = detect(out.points, [c[0] for c in out.cls_logits], [o[0] for o in out.offsets],
                          [m[0] for m in out.masks], video, model.test_cfg)
        assert found["scores"].shape == expected["scores"].shape and expected["scores"].numel() > 0
        assert torch.allclose(found["scores"], expected["scores"], atol=TOLERANCE)
        assert torch.allclose(found["segments"], expected["segments"], atol=1e-3)


def test_length_multiple_covers_strides_and_attention_blocks(model):
    multiple = length_multiple(model)
    assert multiple % model.max_div_factor == 0
    assert all(multiple % (s * 16) == 0 for s in model.backbone.strides)  # block of 16 queries per level
    x, masks = pad_features(np.ones((10, FEAT_DIM), np.float32), multiple)
    assert x.shape == (1, FEAT_DIM, multiple) and masks.sum() == 10 and x[0, :, 10:].sum() == 0
