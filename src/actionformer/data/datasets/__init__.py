"""Datasets: the shared base and the registered benchmark / custom datasets."""

from .base import ActionDataset
from .benchmarks import (ActivityNetDataset, CustomDataset, Ego4DDataset, EpicKitchensDataset,
                         THUMOS14Dataset)
from .soccernet import SoccerNetDataset

__all__ = ["ActionDataset", "THUMOS14Dataset", "ActivityNetDataset", "EpicKitchensDataset",
           "Ego4DDataset", "CustomDataset", "SoccerNetDataset"]
