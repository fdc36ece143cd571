"""engine.loaders: the training loader's batches depend only on (seed, epoch) and shard exactly
across ranks; the validation loader puts each video on exactly one rank."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset

from actionformer.data import SeededSampler
from actionformer.engine.loaders import (make_train_loader, make_val_loader, per_process_batch_size,
                                         set_loader_epoch)


class AugmentedItems(Dataset):
    """Item ``i`` is its index plus one random draw (standing in for a random crop)."""

    def __init__(self, num_items: int = 12) -> None:
        self.num_items = num_items

    def __len__(self) -> int:
        return self.num_items

    def __getitem__(self, idx: int):
        return {"idx": idx, "aug": float(torch.rand(()))}


def _epoch(loader, epoch: int, seed: int):
    set_loader_epoch(loader, epoch, seed)
    return [[(item["idx"], item["aug"]) for item in batch] for batch in loader]


def test_train_loader_is_the_seeded_loader_of_the_data_package():
    loader = make_train_loader(AugmentedItems(), 4, 0, seed=3, rank=0, world_size=1)
    assert isinstance(loader.sampler, SeededSampler) and loader.drop_last
    batch = next(iter(loader))
    assert isinstance(batch, list) and len(batch) == 4 and all(isinstance(item, dict) for item in batch)


def test_an_epoch_depends_only_on_seed_and_epoch():
    first = make_train_loader(AugmentedItems(), 4, 0, seed=3, rank=0, world_size=1)
    epoch0, epoch1 = _epoch(first, 0, 3), _epoch(first, 1, 3)
    resumed = make_train_loader(AugmentedItems(), 4, 0, seed=3, rank=0, world_size=1)
    torch.rand(5)  # the global random state does not matter
    assert _epoch(resumed, 1, 3) == epoch1 and _epoch(resumed, 0, 3) == epoch0
    assert epoch0 != epoch1
    assert sorted(idx for batch in epoch0 for idx, _ in batch) == list(range(12))
    other_seed = make_train_loader(AugmentedItems(), 4, 0, seed=4, rank=0, world_size=1)
    assert _epoch(other_seed, 0, 4) != epoch0


def test_two_ranks_draw_the_single_process_global_batches():
    single = _epoch(make_train_loader(AugmentedItems(), 4, 0, seed=7, rank=0, world_size=1), 2, 7)
    ranks = [_epoch(make_train_loader(AugmentedItems(), 2, 0, seed=7, rank=r, world_size=2), 2, 7)
             for r in range(2)]
    assert len(ranks[0]) == len(ranks[1]) == len(single) == 3
    for global_batch, part0, part1 in zip(single, *ranks):
        assert sorted(part0 + part1) == sorted(global_batch)


def test_val_loader_puts_each_video_on_exactly_one_rank():
    seen = []
    for rank in range(3):
        batches = list(make_val_loader(AugmentedItems(10), rank, 3))
        assert all(len(batch) == 1 for batch in batches)
        seen += [batch[0]["idx"] for batch in batches]
    assert sorted(seen) == list(range(10))


def test_per_process_batch_size_rejects_uneven_splits():
    assert per_process_batch_size(8, 2, 2) == 2
    with pytest.raises(ValueError, match="multiple of processes x accum_steps"):
        per_process_batch_size(6, 4, 1)
