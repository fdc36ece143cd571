"""What every backbone shares: the spec it is built from and the input embedding network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch
from torch import nn

from ..layers import LayerNorm, MaskedConv1D

IntOrList = Union[int, Sequence[int]]


@dataclass(frozen=True)
class BackboneSpec:
    """The model-level settings a backbone is built from (the meta-architecture fills it in).

    A registered backbone class implements ``from_spec(spec)``; this keeps the mapping from model
    config to constructor arguments next to the backbone, so a new backbone needs no switch in
    the meta-architecture. ``options`` holds backbone-specific extras (the config's ``backbone``
    dict, e.g. ``use_rope`` for ``convTransformerv2``).
    """

    input_dim: IntOrList
    embd_dim: IntOrList
    n_head: int
    embd_kernel_size: int
    max_seq_len: int
    arch: Tuple[int, int, int]
    mha_win_size: List[int]
    scale_factor: int
    embd_with_ln: bool
    dropout: float = 0.0
    droppath: float = 0.0
    use_abs_pe: bool = False
    use_rel_pe: bool = False
    options: Dict[str, Any] = field(default_factory=dict)


KERNEL_ONLY_OPTIONS = frozenset({"use_flash_attn"})

# the MLP width of a transformer block, in multiples of its width (the original's 4; the
# TBT-Former paper's scaled backbone uses 6)
DEFAULT_MLP_RATIO = 4


def reject_options(backbone_name: str, options: Dict[str, Any]) -> None:
    """Raise if any backbone option is set (not None / False / 0) for a backbone that has none."""
    # `use_flash_attn` only picks an attention kernel, never the math: a resolved config always
    # carries it (default True), so it must not stop a v1 model from building. An `mlp_ratio`
    # at its default changes nothing either (a saved transformer config on the conv backbone).
    used = {
        k: v for k, v in (options or {}).items()
        if v not in (None, False, 0) and k not in KERNEL_ONLY_OPTIONS
        and not (k == "mlp_ratio" and v == DEFAULT_MLP_RATIO)
    }
    if used:
        listed = ", ".join(f"{k}={v!r}" for k, v in sorted(used.items()))
        raise ValueError(
            f"backbone '{backbone_name}' does not support the option(s) {listed}; "
            "they belong to another backbone (e.g. 'convTransformerv2')"
        )


class EmbeddingBackbone(nn.Module):
    """Base for backbones that start with an optional per-feature 1x1 projection (multi-feature
    inputs such as Ego4D's, given as lists of input and embedding dims) and ``arch[0]`` masked
    k-convs, each followed by LayerNorm (or nothing) and ReLU.

    Subclasses set ``out_channels`` and ``strides`` (the stride of every output level).
    """

    out_channels: int
    strides: Tuple[int, ...]

    def _build_embedding(self, n_in: IntOrList, n_embd: IntOrList, n_embd_ks: int, n_convs: int, with_ln: bool) -> int:
        self.n_in = n_in
        if isinstance(n_in, (list, tuple)):
            if not isinstance(n_embd, (list, tuple)) or len(n_in) != len(n_embd):
                raise ValueError(
                    f"a list input_dim {list(n_in)} needs an embd_dim list of the same length, got {n_embd}"
                )
            self.proj = nn.ModuleList([MaskedConv1D(c_in, c_out, 1) for c_in, c_out in zip(n_in, n_embd)])
            n_in = n_embd = sum(n_embd)
        else:
            if isinstance(n_embd, (list, tuple)):
                raise ValueError(f"a list embd_dim {list(n_embd)} needs a list input_dim, got {n_in}")
            self.proj = None
        self.embd = nn.ModuleList()
        self.embd_norm = nn.ModuleList()
        for idx in range(n_convs):
            self.embd.append(
                MaskedConv1D(
                    n_embd if idx > 0 else n_in, n_embd, n_embd_ks,
                    stride=1, padding=n_embd_ks // 2, bias=not with_ln,
                )
            )
            self.embd_norm.append(LayerNorm(n_embd) if with_ln else nn.Identity())
        self.relu = nn.ReLU(inplace=True)
        return n_embd

    def _embed(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.proj is not None:
            if x.shape[1] != sum(self.n_in):
                raise ValueError(f"expected {sum(self.n_in)} input channels ({list(self.n_in)}), got {x.shape[1]}")
            parts = x.split(list(self.n_in), dim=1)
            x = torch.cat([proj(part, mask)[0] for proj, part in zip(self.proj, parts)], dim=1)
        for conv, norm in zip(self.embd, self.embd_norm):
            x, mask = conv(x, mask)
            x = self.relu(norm(x))
        return x, mask

    @staticmethod
    def _zero_conv_biases(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Conv1d)) and module.bias is not None:
            nn.init.zeros_(module.bias)
