"""Registering your own dataset class, without editing actionformer.

Put this module where Python finds it (the working directory works) and add to the config:

    custom_imports: [my_datasets]
    dataset_name: clips_with_offsets

Subclassing ``ActionDataset`` (or ``CustomDataset``) keeps the data checks, augmentation,
seeded loading and ``to_activitynet_json``; override only what differs. A class that does not
subclass it must take ``(is_training, split, **cfg['dataset'])`` and return the item dicts
documented in docs/datasets.md.
"""

import numpy as np

from actionformer.data import DATASETS, CustomDataset


@DATASETS.register("clips_with_offsets")
class ClipsWithOffsets(CustomDataset):
    """Example: features stored with one extra leading row (a header vector) to drop."""

    title = "my clips"
    tiou_thresholds = tuple(np.linspace(0.1, 0.5, 5))

    def read_features(self, video_id: str) -> np.ndarray:
        return super().read_features(video_id)[1:]
