"""Data loaders for training and validation, single process or one shard per torchrun rank.

Training batches are drawn through a DistributedSampler even in a single process
(one replica), so a run on N processes with per-process batch B/N sees the same global batches,
in the same order, as a single process with batch B. The permutation of each epoch depends
only on (seed, epoch), which makes a resumed run draw the same batches as an uninterrupted one.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler


def list_collate(batch: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Batches are lists of video dicts; the model pads them itself."""
    return batch


def _default_worker_init() -> Optional[Callable[[int], None]]:
    try:
        from actionformer.data import worker_init_reset_seed  # type: ignore[attr-defined]
    except Exception:  # data package not present (engine tests) or without the helper
        return _reset_worker_seed
    return worker_init_reset_seed


def _reset_worker_seed(worker_id: int) -> None:
    import random

    import numpy as np

    seed = torch.initial_seed() % 2**31
    np.random.seed(seed)
    random.seed(seed)


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
    """Shuffled, drop-last loader of micro-batches; call ``set_loader_epoch`` before each epoch."""
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=True)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=micro_batch,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=list_collate,
        worker_init_fn=_default_worker_init() if num_workers > 0 else None,
        drop_last=True,
        generator=generator,
        pin_memory=pin_memory,
        persistent_workers=False,
    )


def set_loader_epoch(loader: DataLoader, epoch: int, seed: int, rank: int) -> None:
    """Make the epoch's order and the workers' seeds a function of (seed, epoch, rank) only."""
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)
    if loader.generator is not None:
        loader.generator.manual_seed(seed + 100003 * (epoch + 1) + rank)


def make_val_loader(dataset: Dataset, rank: int, world_size: int, num_workers: int = 0,
                    pin_memory: bool = False) -> DataLoader:
    """One video per batch (as the original), this rank's share of the videos."""
    return DataLoader(
        dataset,
        batch_size=1,
        sampler=ShardSampler(len(dataset), rank, world_size),
        num_workers=num_workers,
        collate_fn=list_collate,
        pin_memory=pin_memory,
    )
