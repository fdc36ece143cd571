"""Data: benchmark and custom datasets, feature IO, augmentation, loaders, synthetic data, checks.

Public names of the original release: ``make_dataset``, ``make_data_loader``,
``truncate_feats``, ``worker_init_reset_seed``.
"""

from .builders import DATASETS, import_custom_modules, make_dataset
from .datasets import (ActionDataset, ActivityNetDataset, CustomDataset, Ego4DDataset, EpicKitchensDataset,
                       THUMOS14Dataset)
from .grid import feat_offset, seconds_to_grid
from .loader import SeededSampler, make_data_loader, trivial_batch_collator, worker_init_reset_seed
from .report import DataError, DataReport, Problem
from .transforms import resize_feats, truncate_feats


def __getattr__(name):
    # heavier / optional parts, imported on first use
    if name in ("check_dataset", "check_data_from_config", "enforce_data_policy"):
        from . import checks

        return getattr(checks, name)
    if name == "make_synthetic_dataset":
        from .synthetic import make_synthetic_dataset

        return make_synthetic_dataset
    raise AttributeError(f"module 'actionformer.data' has no attribute '{name}'")


__all__ = [
    "DATASETS", "make_dataset", "make_data_loader", "truncate_feats", "worker_init_reset_seed",
    "import_custom_modules", "trivial_batch_collator", "SeededSampler", "resize_feats",
    "seconds_to_grid", "feat_offset", "DataError", "DataReport", "Problem",
    "ActionDataset", "THUMOS14Dataset", "ActivityNetDataset", "EpicKitchensDataset", "Ego4DDataset",
    "CustomDataset", "check_dataset", "check_data_from_config", "enforce_data_policy",
    "make_synthetic_dataset",
]
