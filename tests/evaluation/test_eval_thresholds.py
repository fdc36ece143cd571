import numpy as np
import pytest

from actionformer.evaluation import default_tiou_thresholds
from actionformer.evaluation.thresholds import guess_dataset_name


def test_defaults_are_the_originals_linspace_values():
    assert np.array_equal(default_tiou_thresholds("thumos"), np.linspace(0.3, 0.7, 5))
    assert np.array_equal(default_tiou_thresholds("ActivityNet 1.3"), np.linspace(0.5, 0.95, 10))
    assert np.array_equal(default_tiou_thresholds("epic-kitchens-100"), np.linspace(0.1, 0.5, 5))
    assert np.array_equal(default_tiou_thresholds("ego4d"), np.linspace(0.1, 0.5, 5))


def test_unknown_dataset_suggests():
    with pytest.raises(ValueError, match="Did you mean 'thumos'"):
        default_tiou_thresholds("thumso")


def test_guess_from_file_names():
    assert guess_dataset_name("thumos14.json") == "thumos"
    assert guess_dataset_name("anet1.3_tsp_filtered.json") == "anet"
    assert guess_dataset_name("my_videos.json") is None
