"""Data loaders for training and validation, single process or one shard per torchrun rank.

Training batches are drawn by a sharding sampler even in a single process (one replica), so a
run on N processes with per-process batch B/N sees the same global batches, in the same order,
as a single process with batch B. The permutation of each epoch depends only on (seed, epoch),
which makes a resumed run draw the same batches as an uninterrupted one.
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from actionformer.data import make_data_loader, trivial_batch_collator


class ShardSampler(Sampler[int]):
    """Indices ``rank, rank + world, ...`` in order: each validation video on exactly one rank."""

    def __init__(self, length: int, rank: int, world_size: int) -> None:
        self.indices = list(range(rank, length, world_size))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def per_process_batch_size(global_batch: int, world_size: int, accum_steps: int) -> int:
    """``loader.batch_size`` is the batch of one optimizer step over all processes."""
    parts = world_size * accum_steps
    if global_batch % parts != 0 or global_batch < parts:
        raise ValueError(
            f"loader.batch_size={global_batch} must be a multiple of processes x accum_steps "
            f"= {world_size} x {accum_steps} = {parts} (the batch is the global batch of one optimizer step)"
        )
    return global_batch // parts


def make_train_loader(dataset: Dataset, micro_batch: int, num_workers: int, seed: int, rank: int,
                      world_size: int, pin_memory: bool = False) -> DataLoader:
    """Shuffled, drop-last loader of this rank's micro-batches; call ``set_loader_epoch`` before each epoch.

    The data package's seeded loader: the order and the per-item augmentation seeds are drawn in
    the main process, identical on every rank, and each rank takes its share.
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    return make_data_loader(dataset, True, generator, micro_batch, num_workers, pin_memory,
                            num_replicas=world_size, rank=rank)


def set_loader_epoch(loader: DataLoader, epoch: int, seed: int) -> None:
    """Make the epoch's order and augmentation a function of (seed, epoch) only, the same on every
    rank, so that a resumed run draws exactly the batches of an uninterrupted one: reseeds the
    sampler's generator and the loader's (the workers' base seeds)."""
    epoch_seed = (seed + 1_000_003 * (epoch + 1)) % (2**63 - 1)
    for generator in {id(g): g for g in (getattr(loader.sampler, "generator", None), loader.generator)
                      if isinstance(g, torch.Generator)}.values():
        generator.manual_seed(epoch_seed)


def make_val_loader(dataset: Dataset, rank: int, world_size: int, num_workers: int = 0,
                    pin_memory: bool = False) -> DataLoader:
    """One video per batch (as the original), this rank's share of the videos."""
    return DataLoader(
        dataset,
        batch_size=1,
        sampler=ShardSampler(len(dataset), rank, world_size),
        num_workers=num_workers,
        collate_fn=trivial_batch_collator,
        pin_memory=pin_memory,
    )
