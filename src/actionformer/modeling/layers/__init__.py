"""Building blocks: masked convolutions, channel-first layer norm, conv attention, Transformer blocks."""

from .attention import LocalMaskedMHCA, MaskedMHCA
from .conv import Conv1x1, ConvBlock, MaskedConv1D, downsample_mask, pointwise_conv
from .fastpath import fast_kernels, fast_kernels_enabled, set_fast_kernels
from .local_attention import local_attention
from .norm import LayerNorm
from .position import sinusoid_encoding
from .scale import Scale
from .transformer import AffineDropPath, TransformerBlock, drop_path

__all__ = [
    "AffineDropPath", "Conv1x1", "ConvBlock", "LayerNorm", "LocalMaskedMHCA", "MaskedConv1D",
    "MaskedMHCA", "Scale", "TransformerBlock", "downsample_mask", "drop_path", "fast_kernels",
    "fast_kernels_enabled", "local_attention", "pointwise_conv", "set_fast_kernels",
    "sinusoid_encoding",
]
