"""Under DDP, the ranks' averaged gradient equals the single-process gradient of the global batch.

DDP averages gradients over ranks, so each rank divides its loss by normalizer / world_size,
with the normalizer's positives counted over the whole global batch (an all_reduce). Here the
two ranks are simulated in one process: the all_reduce is replaced by the known total.
"""

import copy

import pytest
import torch

from actionformer.modeling import make_meta_arch
from actionformer.modeling.meta_archs import loc_point_transformer as lpt


def _positives(model, videos):
    counts = []

    def record(count, device):
        counts.append(count)
        return count

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lpt, "_training_world_size", lambda: 2)
        mp.setattr(lpt, "_sum_over_ranks", record)
        copy.deepcopy(model)(videos)
    return counts[0]


def _gradients(model, videos):
    model.zero_grad()
    model(videos)["final_loss"].backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


# the detection quality options (issue 13) keep the DDP equivalence
OPTIONS = {"original": ({}, {}),
           "quality options": ({"cls_loss_type": "quality_focal", "reg_loss_type": "eiou"}, {"head_type": "v2"})}


@pytest.mark.parametrize("options", list(OPTIONS))
def test_rank_gradients_average_to_the_single_process_gradient(tiny_config, make_video, options):
    train_extra, model_extra = OPTIONS[options]
    train_cfg = dict(tiny_config()["train_cfg"], droppath=0.0, **train_extra)
    model = make_meta_arch("LocPointTransformer", **tiny_config(train_cfg=train_cfg, **model_extra)).train()
    videos = [make_video(64, seed=s, num_gt=3) for s in range(4)]
    halves = [videos[:2], videos[2:]]

    single = copy.deepcopy(model)
    expected = _gradients(single, videos)

    total = sum(_positives(model, half) for half in halves)
    assert total > 0
    ranks = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lpt, "_training_world_size", lambda: 2)
        mp.setattr(lpt, "_sum_over_ranks", lambda count, device: total)
        for half in halves:
            rank_model = copy.deepcopy(model)
            ranks.append(_gradients(rank_model, half))
            assert rank_model.loss_normalizer == pytest.approx(single.loss_normalizer)
    assert expected.keys() == ranks[0].keys()
    for name, grad in expected.items():
        torch.testing.assert_close((ranks[0][name] + ranks[1][name]) / 2, grad, rtol=1e-4, atol=1e-6)
