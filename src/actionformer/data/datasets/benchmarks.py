"""The four benchmarks of the original release, as small variations of the shared dataset."""

from __future__ import annotations

from typing import List

import numpy as np

from ..builders import DATASETS
from .base import ActionDataset


@DATASETS.register("thumos")
class THUMOS14Dataset(ActionDataset):
    """THUMOS14 (I3D features, stride 4, 16 frames).

    CliffDiving (label 4) instances are always also Diving (7) instances; like the latest
    original release, both labels are kept as separate instances (the model can predict both).
    """

    title = "thumos-14"
    tiou_thresholds = tuple(np.linspace(0.3, 0.7, 5))
    single_class_allowed = False


@DATASETS.register("anet")
class ActivityNetDataset(ActionDataset):
    """ActivityNet 1.3 (TSP / I3D features), usually with ``force_upsampling`` to max_seq_len.

    ``feat_folder`` may be one .hdf5/.h5 file holding every video. Repeated and < 1 ms
    instances are dropped; in training, actions mostly past the end of the features are dropped.
    """

    title = "ActivityNet 1.3"
    tiou_thresholds = tuple(np.linspace(0.5, 0.95, 10))
    dedupe_annotations = True
    drop_outside_segments = True
    require_duration = True


@DATASETS.register("epic")
class EpicKitchensDataset(ActionDataset):
    """EPIC-Kitchens 100 verbs or nouns (SlowFast .npz features with a 'feats' array)."""

    title = "epic-kitchens-100"
    tiou_thresholds = tuple(np.linspace(0.1, 0.5, 5))
    single_class_allowed = False
    fewer_classes_allowed = True

    def empty_label_ids(self) -> List[int]:
        """Classes with no instance anywhere in the annotation file (some nouns)."""
        present = set(self.label_dict.values())
        return [i for i in range(self.num_classes) if i not in present]


@DATASETS.register("ego4d")
class Ego4DDataset(ActionDataset):
    """Ego4D Moment Queries; ``feat_folder`` may list several folders, concatenated on channels."""

    title = "ego4d"
    tiou_thresholds = tuple(np.linspace(0.1, 0.5, 5))
    single_class_allowed = False
    extra_item_keys = ("offset",)


@DATASETS.register("custom")
class CustomDataset(ActionDataset):
    """Your own data, no code: json or CSV annotations, any feature format, see docs/datasets.md."""

    title = "custom"
    tiou_thresholds = tuple(np.linspace(0.3, 0.7, 5))
