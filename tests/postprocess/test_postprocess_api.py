"""The package's public names resolve, including the top-level lazy ``actionformer.batched_nms``."""

from __future__ import annotations

import actionformer
import actionformer.postprocess as postprocess


def test_all_names_resolve():
    for name in postprocess.__all__:
        assert getattr(postprocess, name) is not None, name


def test_top_level_batched_nms_is_ours():
    assert actionformer.batched_nms is postprocess.batched_nms
