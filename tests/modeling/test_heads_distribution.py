"""The boundary-distribution heads: shapes, the Trident head's neighbour arithmetic by hand."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import HEADS
from actionformer.modeling.heads_distribution import OUTSIDE_LOGIT, neighbour_logits


def _levels(lengths, channels=8, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, channels, t, generator=g) for t in lengths]
    masks = [torch.ones(batch, 1, t, dtype=torch.bool) for t in lengths]
    return feats, masks


@pytest.mark.parametrize("name", ["distribution", "trident"])
def test_heads_give_bin_logits_per_level(name):
    head = HEADS.build(name, 8, 8, 3, num_bins=4, num_layers=2, kernel_size=3, with_ln=True)
    feats, masks = _levels([16, 8, 4])
    out = head(feats, masks)
    assert [tuple(x.shape) for x in out] == [(2, 2, 5, 16), (2, 2, 5, 8), (2, 2, 5, 4)]
    with pytest.raises(ValueError, match="built for 3 levels"):
        head(feats[:2], masks[:2])


def test_neighbour_logits_by_hand():
    boundary = torch.tensor([[10.0, 11.0, 12.0, 13.0]])
    mask = torch.tensor([[True, True, True, False]])
    starts = neighbour_logits(boundary, mask, num_bins=2, side=0)  # (1, 3, 4): bin b -> step t - b
    out = OUTSIDE_LOGIT
    torch.testing.assert_close(starts[0], torch.tensor([
        [10.0, 11.0, 12.0, out],  # b = 0: the step itself (step 3 is padding)
        [out, 10.0, 11.0, 12.0],  # b = 1
        [out, out, 10.0, 11.0],  # b = 2
    ]))
    ends = neighbour_logits(boundary, mask, num_bins=2, side=1)  # bin b -> step t + b
    torch.testing.assert_close(ends[0], torch.tensor([
        [10.0, 11.0, 12.0, out],
        [11.0, 12.0, out, out],
        [12.0, out, out, out],
    ]))


def test_trident_combines_boundary_and_centre_branches():
    """logits[:, side, b, t] = boundary(t -/+ b) + centre(t, side, b), checked against the
    branches run separately."""
    torch.manual_seed(0)
    head = HEADS.build("trident", 8, 8, 1, num_bins=3, num_layers=2, kernel_size=3, with_ln=False)
    feats, masks = _levels([10], batch=1)
    masks[0][..., 8:] = False
    with torch.no_grad():
        logits = head(feats, masks)[0]  # (1, 2, 4, 10)
        start = head.start_head(feats, masks)[0][0, 0]  # (10,)
        end = head.end_head(feats, masks)[0][0, 0]
        centre = head.offset_head(feats, masks)[0][0].view(2, 4, 10)
    for t in range(8):
        for b in range(4):
            s = start[t - b] if t - b >= 0 else OUTSIDE_LOGIT
            e = end[t + b] if t + b < 8 else OUTSIDE_LOGIT
            assert logits[0, 0, b, t].item() == pytest.approx(float(s + centre[0, b, t]), abs=1e-5)
            assert logits[0, 1, b, t].item() == pytest.approx(float(e + centre[1, b, t]), abs=1e-5)


def test_trident_end_distribution_cannot_point_past_the_valid_steps():
    torch.manual_seed(1)
    head = HEADS.build("trident", 8, 8, 1, num_bins=4, num_layers=2, with_ln=True)
    feats, masks = _levels([12], batch=1)
    masks[0][..., 9:] = False
    probs = head(feats, masks)[0].softmax(dim=2)  # (1, 2, 5, 12)
    # at the last valid step (8) every end bin > 0 lies on padding: all mass on bin 0
    assert probs[0, 1, 0, 8].item() == pytest.approx(1.0, abs=1e-6)
    assert torch.isfinite(probs).all()  # padded points too


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="num_bins"):
        HEADS.build("distribution", 8, 8, 2, num_bins=0)
    with pytest.raises(ValueError, match="num_bins"):
        HEADS.build("trident", 8, 8, 2, num_bins=0)
