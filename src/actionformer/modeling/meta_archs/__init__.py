"""Meta-architectures (registry ``META_ARCHS``)."""

from .loc_point_transformer import LocPointTransformer, max_div_factor
from .snapformer import SnapFormer

__all__ = ["LocPointTransformer", "SnapFormer", "max_div_factor"]
