"""A tiny stand-in for the detector and a list-of-dicts dataset, for engine tests.

The model follows the detector's contract: a list of video dicts in, a loss dict out in
training mode, per-video detections in eval mode. It has the parts the engine treats specially:
a norm layer, biases, a learnable ``scale``, a relative position parameter, dropout (to
exercise the random streams) and a ``loss_normalizer`` outside the state dict, saved through
the ``training_state`` / ``load_training_state`` protocol.
"""

from __future__ import annotations

from typing import Any, Dict, List

import torch
from torch import nn
from torch.utils.data import Dataset

NUM_CLASSES = 3
FEAT_DIM = 6
SEQ_LEN = 8


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class ToyDetector(nn.Module):
    def __init__(self, hidden: int = 8, dropout: float = 0.1, use_normalizer: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv1d(FEAT_DIM, hidden, 3, padding=1)
        self.norm = nn.LayerNorm(hidden)
        self.rel_pe = nn.Parameter(torch.zeros(1, hidden, SEQ_LEN))
        self.drop = nn.Dropout(dropout)
        self.cls = nn.Linear(hidden, NUM_CLASSES)
        self.reg = nn.Linear(hidden, 2)
        self.scale = Scale()
        self.use_normalizer = use_normalizer
        self.loss_normalizer = 2.0

    def _features(self, video_list: List[Dict[str, Any]]) -> torch.Tensor:
        device = self.conv.weight.device
        feats = torch.stack([v["feats"] for v in video_list]).to(device)  # (B, C, T)
        x = self.conv(feats) + self.rel_pe  # (B, H, T)
        x = self.norm(x.transpose(1, 2))  # (B, T, H)
        return self.drop(torch.relu(x)).mean(1)  # (B, H)

    def forward(self, video_list: List[Dict[str, Any]]) -> Any:
        pooled = self._features(video_list)
        logits = self.scale(self.cls(pooled)).float()  # (B, K)
        offsets = self.reg(pooled).float()  # (B, 2)
        if not self.training:
            return self._detections(video_list, logits, offsets)
        labels = torch.tensor([v["label"] for v in video_list], device=logits.device)
        targets = torch.stack([v["segment"] for v in video_list]).to(logits.device)
        cls_loss = nn.functional.cross_entropy(logits, labels)
        reg_loss = nn.functional.smooth_l1_loss(offsets, targets)
        if self.use_normalizer:
            num_pos = 1.0 + float((labels == 1).sum())
            self.loss_normalizer = 0.9 * self.loss_normalizer + 0.1 * num_pos
            cls_loss = cls_loss * 2.0 / self.loss_normalizer
        return {"cls_loss": cls_loss, "reg_loss": reg_loss, "final_loss": cls_loss + reg_loss}

    # the training-state protocol the trainer saves and restores (outside the state dict)
    def training_state(self) -> Dict[str, Any]:
        return {"loss_normalizer": self.loss_normalizer}

    def load_training_state(self, state: Dict[str, Any]) -> None:
        self.loss_normalizer = float(state["loss_normalizer"])

    def _detections(self, video_list: List[Dict[str, Any]], logits: torch.Tensor, offsets: torch.Tensor) -> List[Dict[str, Any]]:
        probs = logits.softmax(-1)
        out = []
        for i, video in enumerate(video_list):
            score, label = probs[i].max(0)
            out.append({
                "video_id": video["video_id"],
                "segments": offsets[i].detach().view(1, 2).cpu(),
                "scores": score.detach().view(1).cpu(),
                "labels": label.view(1).cpu(),
            })
        return out


class ToyDataset(Dataset):
    """Videos whose label is encoded in the features, so training makes progress."""

    def __init__(self, num_videos: int = 16, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.videos = []
        for i in range(num_videos):
            label = i % NUM_CLASSES
            feats = torch.randn(FEAT_DIM, SEQ_LEN, generator=gen) * 0.5
            feats[label] += 1.0
            self.videos.append({
                "video_id": f"video_{i:03d}",
                "feats": feats,
                "label": label,
                "segment": torch.tensor([0.2 * label, 0.2 * label + 0.5]),
            })

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        return dict(self.videos[idx])


class ToyEvaluator:
    """'mAP': percentage of videos whose top detection has the right label."""

    def __init__(self, dataset: ToyDataset) -> None:
        self.truth = {v["video_id"]: v["label"] for v in dataset.videos}

    def evaluate(self, detections: List[Dict[str, Any]]):
        hits = [int(d["labels"][0]) == self.truth[d["video_id"]] for d in detections]
        average = sum(hits) / max(len(hits), 1)
        return [average], average


def toy_config(**opt: Any) -> Dict[str, Any]:
    cfg = {
        "init_rand_seed": 7,
        "loader": {"batch_size": 4, "num_workers": 0},
        "opt": {"type": "AdamW", "learning_rate": 0.03, "weight_decay": 0.05, "epochs": 3, "warmup": True,
                "warmup_epochs": 1, "schedule_type": "cosine", "schedule_steps": [], "schedule_gamma": 0.1,
                "early_stop_epochs": None},
        "train_cfg": {"clip_grad_l2norm": 1.0},
        "trainer": {"amp": "off", "accum_steps": 1, "eval_freq": 1, "ckpt_freq": 1, "print_freq": 1,
                    "keep_last": 2, "ema_decay": 0.9},
    }
    cfg["opt"].update(opt)
    return cfg
