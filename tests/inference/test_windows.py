"""Windowed inference of long videos gives the full-length pass's detections."""

from __future__ import annotations

import pytest
import torch

from actionformer.inference.windows import alignment, can_window, measure_reach, plan_windows, windowed_detection
from inference_fixtures import FEAT_DIM, build

# float32 sums in a different order (window vs full pass): scores and seconds agree far closer
ATOL = 1e-4


def _video(length: int, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    return {"video_id": "long", "feats": torch.randn(FEAT_DIM, length, generator=gen), "fps": 30.0,
            "duration": (length * 4 + 12) / 30.0, "feat_stride": 4, "feat_num_frames": 16}


@pytest.mark.parametrize("cpu_kernels", ["true", "false"])
@pytest.mark.parametrize("length", [700, 1001])
def test_windowed_detections_equal_full_length(infer_config, cpu_kernels, length):
    model = build(infer_config, f"model.cpu_kernels={cpu_kernels}")
    video = _video(length)
    reach = measure_reach(model, FEAT_DIM, limit=4096)
    assert reach is not None and reach < 200
    align = alignment(model)
    margin = -(-reach // align) * align
    windowed = windowed_detection(model, video, 4 * margin, margin)
    with torch.no_grad():
        full = model([video])[0]
    assert len(plan_windows(length, 4 * margin, margin, align)) > 1  # really ran by windows
    assert windowed["segments"].shape == full["segments"].shape and full["segments"].shape[0] > 0
    assert torch.allclose(windowed["segments"], full["segments"], atol=ATOL)
    assert torch.allclose(windowed["scores"], full["scores"], atol=ATOL)
    assert torch.equal(windowed["labels"], full["labels"])


def test_outputs_do_not_depend_on_inputs_beyond_the_reach(infer_config):
    model = build(infer_config)
    reach = measure_reach(model, FEAT_DIM, limit=4096)
    video = _video(640)
    centre = 320
    changed = dict(video, feats=video["feats"].clone())
    changed["feats"][:, : centre - reach - 1] += 5.0
    changed["feats"][:, centre + 16 + reach:] -= 5.0  # 16: the coarsest stride's phases
    with torch.no_grad():
        a = model.forward_dense(video["feats"][None], torch.ones(1, 1, 640, dtype=torch.bool))
        b = model.forward_dense(changed["feats"][None], torch.ones(1, 1, 640, dtype=torch.bool))
    for stride, x, y in zip(model.fpn_strides, a.cls_logits, b.cls_logits):
        lo, hi = centre // stride, (centre + 16) // stride
        assert torch.allclose(x[:, lo:hi], y[:, lo:hi], atol=1e-5)
    assert not torch.allclose(a.cls_logits[0], b.cls_logits[0])  # the perturbation does reach elsewhere


def test_plan_windows_tiles_the_video_with_margins():
    plans = plan_windows(1000, 256, 64, 32)
    assert plans[0][0] == 0 and plans[-1][1] == 1000
    cores = [(c0, c1) for _, _, c0, c1 in plans]
    assert cores[0][0] == 0 and cores[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in zip(cores, cores[1:]))
    for start, end, c0, c1 in plans:
        assert start == max(0, c0 - 64) and end == min(1000, c1 + 64) and start % 32 == 0
    with pytest.raises(ValueError, match="no core"):
        plan_windows(1000, 100, 64, 32)


def test_global_attention_or_absolute_positions_run_full_length(infer_config):
    assert measure_reach(build(infer_config, "model.n_mha_win_size=-1"), FEAT_DIM, limit=1024) is None
    assert not can_window(build(infer_config, "model.use_abs_pe=true"))
    assert can_window(build(infer_config))
