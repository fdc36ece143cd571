"""Data loaders: the original's trivial collate, and seeded sampling that does not depend on
the number of workers.

In training, :class:`SeededSampler` draws the epoch's order *and one seed per item* from the
loader's generator in the main process; the dataset draws its augmentation (truncation,
cropping) from that seed. The same generator seed therefore gives the same batches whether
the items are loaded by 0, 2 or 8 workers.
"""

from __future__ import annotations

import math
import os
import random
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

_MAX_SEED = 2**31 - 1


def trivial_batch_collator(batch: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A batch is the list of item dicts; the model pads and batches them itself. ``None`` items
    (videos left out when read, under ``on_bad_video: skip``) are dropped."""
    if all(item is not None for item in batch):
        return batch  # the original's: the very list
    return [item for item in batch if item is not None]


def worker_init_reset_seed(worker_id: int) -> None:
    """Reseed python / numpy in each worker from torch's per-worker seed (the original's)."""
    seed = torch.initial_seed() % 2**31
    np.random.seed(seed)
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


class SeededSampler(Sampler):
    """Yields ``(index, seed)`` pairs: a permutation (or the identity) and one seed per item,
    both drawn from ``generator``; with ``num_replicas`` > 1 each rank gets every
    ``num_replicas``-th pair (in training the list is padded by wrap-around so that every rank
    has as many; with ``pad=False``, for evaluation, no video is repeated).
    """

    def __init__(self, num_items: int, generator: Optional[torch.Generator] = None, shuffle: bool = True,
                 num_replicas: int = 1, rank: int = 0, pad: bool = True) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} outside [0, {num_replicas})")
        self.num_items = num_items
        self.generator = generator
        self.shuffle = shuffle
        self.num_replicas = num_replicas
        self.rank = rank
        self.pad = pad

    def __len__(self) -> int:
        if self.pad:
            return math.ceil(self.num_items / self.num_replicas)
        return len(range(self.rank, self.num_items, self.num_replicas))

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        n = self.num_items
        if n == 0:
            return iter(())
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        seeds = torch.randint(0, _MAX_SEED, (n,), generator=self.generator)
        pairs = list(zip(order.tolist(), seeds.tolist()))
        if self.pad:
            total = math.ceil(n / self.num_replicas) * self.num_replicas
            pairs += pairs[: total - n]  # every rank gets as many items
        return iter(pairs[self.rank:: self.num_replicas])


class SeededItems(Dataset):
    """Wraps a dataset that does not understand ``(index, seed)``: reseeds python, numpy and
    torch around each item and restores their state afterwards."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Union[int, Tuple[int, int]]):
        if not isinstance(key, tuple):
            return self.dataset[key]
        idx, seed = key
        states = random.getstate(), np.random.get_state(), torch.get_rng_state()
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            return self.dataset[idx]
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])

    def __getattr__(self, name: str):
        if name == "dataset":  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.dataset, name)


def _private_generator(generator: Optional[torch.Generator]) -> Optional[torch.Generator]:
    """A generator for the sampler alone, seeded from ``generator``: the DataLoader also draws
    from its generator (worker base seeds), once per epoch without persistent workers but only
    once with them, which would otherwise shift the sampler's stream with the worker count."""
    if generator is None:
        return None
    seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
    return torch.Generator().manual_seed(seed)


def _understands_seeds(dataset: Dataset) -> bool:
    from .datasets.base import ActionDataset

    return isinstance(dataset, (ActionDataset, SeededItems))


def make_data_loader(
    dataset: Dataset,
    is_training: bool,
    generator: Optional[torch.Generator],
    batch_size: int,
    num_workers: int,
    pin_memory: bool = False,
    drop_last: Optional[bool] = None,
    num_replicas: int = 1,
    rank: int = 0,
    prefetch_factor: Optional[int] = None,
) -> DataLoader:
    """The original's loader builder: shuffled, seeded, last partial batch dropped in training;
    in order, nothing dropped in evaluation. Batches are lists of item dicts.

    ``pin_memory`` only takes effect when CUDA is available; ``num_replicas`` / ``rank`` shard
    the items for distributed training (every rank must use an identically seeded generator).
    """
    if drop_last is None:
        drop_last = is_training
    if drop_last and 0 < len(dataset) < batch_size * num_replicas:
        warnings.warn(f"only {len(dataset)} videos for batch_size {batch_size}: keeping the partial batch "
                      "instead of dropping it (an epoch would otherwise be empty)", stacklevel=2)
        drop_last = False
    if is_training:
        sampler = SeededSampler(len(dataset), _private_generator(generator), True, num_replicas, rank)
        if not _understands_seeds(dataset):
            dataset = SeededItems(dataset)
    else:
        sampler = SeededSampler(len(dataset), None, False, num_replicas, rank, pad=False) if num_replicas > 1 else None
        if sampler is not None and not _understands_seeds(dataset):
            dataset = SeededItems(dataset)
    extra: Dict[str, Any] = {}
    if num_workers > 0:
        extra["persistent_workers"] = True
        if prefetch_factor is not None:
            extra["prefetch_factor"] = prefetch_factor
    return DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=trivial_batch_collator,
        worker_init_fn=worker_init_reset_seed if is_training else None,
        sampler=sampler,
        shuffle=False,  # order comes from the sampler
        drop_last=drop_last,
        generator=generator,
        pin_memory=bool(pin_memory) and torch.cuda.is_available(),
        **extra,
    )
