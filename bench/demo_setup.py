"""The demo's small model and training schedule, shared by the accuracy benchmarks on synthetic
data (each runs minutes per training on 2 CPU cores). A benchmark varies its own keys on top."""

from __future__ import annotations

from typing import Any, Dict, List

# 5 pyramid levels, 32 channels, 2-layer heads: the model of `actionformer demo`
DEMO_MODEL: Dict[str, Any] = {
    "backbone_arch": [2, 1, 4], "embd_dim": 32, "fpn_dim": 32, "head_dim": 32, "n_head": 4,
    "n_mha_win_size": 9, "head_num_layers": 2, "max_buffer_len_factor": 1.0,
    "regression_range": [[0, 4], [4, 8], [8, 16], [16, 32], [32, 10000]],
}

# `actionformer train --set` lines: the demo's optimiser, no checkpoints or validation in between
DEMO_SCHEDULE: List[str] = [
    "opt.warmup_epochs=1", "opt.learning_rate=0.004", "opt.weight_decay=0.05",
    "loader.batch_size=4", "loader.num_workers=0", "train_cfg.droppath=0.0",
    "train_cfg.init_loss_norm=20", "test_cfg.max_seg_num=50", "test_cfg.pre_nms_topk=500",
    "trainer.ema_decay=0.97", "trainer.eval_freq=0", "trainer.ckpt_freq=0",
    "trainer.keep_last=1", "trainer.device=cpu",
]
