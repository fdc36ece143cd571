"""Meta-architectures (registry ``META_ARCHS``)."""

from .loc_point_transformer import LocPointTransformer, max_div_factor

__all__ = ["LocPointTransformer", "max_div_factor"]
