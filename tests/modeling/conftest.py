"""Fixtures for the modeling tests: our model on the original's parity fixture (../conftest.py),
tiny configs and random videos."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def build_parity_model(parity_data):
    """Builds our LocPointTransformer from the fixture's config, with its weights (strict);
    ``cpu_kernels=False`` gives the reference model (standard formulation only)."""
    from actionformer.modeling import make_meta_arch

    def build(cpu_kernels: bool = True):
        cfg = parity_data["config"]
        model = make_meta_arch(cfg["model_name"], **cfg["model"], cpu_kernels=cpu_kernels)
        model.load_state_dict(parity_data["state_dict"], strict=True)
        return model

    return build


@pytest.fixture
def parity_model(build_parity_model):
    """Our LocPointTransformer (with its CPU kernels) built from the fixture's config and weights."""
    return build_parity_model()


def tiny_model_config(**overrides):
    """A small but complete model config (the original's keys) for fast CPU tests."""
    cfg = dict(
        backbone_type="convTransformer", fpn_type="identity", backbone_arch=(2, 1, 3), scale_factor=2,
        input_dim=12, max_seq_len=64, max_buffer_len_factor=1.0, n_head=2, n_mha_win_size=5,
        embd_kernel_size=3, embd_dim=16, embd_with_ln=True, fpn_dim=16, fpn_with_ln=True,
        fpn_start_level=0, head_dim=16, regression_range=[(0, 4), (4, 8), (8, 16), (16, 10000)],
        head_num_layers=3, head_kernel_size=3, head_with_ln=True, use_abs_pe=False, use_rel_pe=False,
        num_classes=3,
        train_cfg=dict(
            center_sample="radius", center_sample_radius=1.5, loss_weight=1.0, cls_prior_prob=0.01,
            init_loss_norm=100, clip_grad_l2norm=-1, dropout=0.0, droppath=0.1, label_smoothing=0.0,
            head_empty_cls=[],
        ),
        test_cfg=dict(
            pre_nms_thresh=0.001, pre_nms_topk=500, iou_threshold=0.1, min_score=0.001, max_seg_num=50,
            nms_method="soft", nms_sigma=0.5, duration_thresh=0.05, multiclass_nms=True,
            voting_thresh=0.7, ext_score_file=None,
        ),
    )
    cfg.update(overrides)
    return cfg


def random_video(length, channels=12, num_gt=2, num_classes=3, seed=0, video_id=None):
    g = torch.Generator().manual_seed(seed)
    starts = torch.rand(num_gt, generator=g) * max(length - 8, 1)
    durations = 1.0 + torch.rand(num_gt, generator=g) * 12
    segments = torch.stack([starts, (starts + durations).clamp(max=length - 1)], dim=1)
    return {
        "video_id": video_id or f"vid{seed}",
        "feats": torch.randn(channels, length, generator=g),
        "segments": segments,
        "labels": torch.randint(0, num_classes, (num_gt,), generator=g),
        "fps": 30.0,
        "duration": length * 4 / 30.0,
        "feat_stride": 4,
        "feat_num_frames": 16,
    }


@pytest.fixture
def tiny_config():
    return tiny_model_config


@pytest.fixture
def make_video():
    return random_video



@pytest.fixture
def full_mask():
    """(B=2, 1, T=7) all valid."""
    return torch.ones(2, 1, 7, dtype=torch.bool)


@pytest.fixture
def partial_mask(full_mask):
    """(2, 1, 7): the second video's last three steps invalid."""
    mask = full_mask.clone()
    mask[1, :, 4:] = False
    return mask
