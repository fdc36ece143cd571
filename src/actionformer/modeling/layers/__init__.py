"""Building blocks: masked convolutions, channel-first layer norm, conv attention, Transformer blocks.

Every layer here has one standard formulation on contiguous (B, C, T) tensors, for any device;
the CPU-only kernels live in ``actionformer.modeling.kernels``.
"""

from .attention import LocalMaskedMHCA, MaskedMHCA
from .conv import Conv1x1, ConvBlock, MaskedConv1D, downsample_mask
from .local_attention import local_attention
from .norm import LayerNorm
from .position import sinusoid_encoding
from .scale import Scale
from .transformer import AffineDropPath, TransformerBlock, drop_path

__all__ = [
    "AffineDropPath", "Conv1x1", "ConvBlock", "LayerNorm", "LocalMaskedMHCA", "MaskedConv1D",
    "MaskedMHCA", "Scale", "TransformerBlock", "downsample_mask", "drop_path", "local_attention",
    "sinusoid_encoding",
]
