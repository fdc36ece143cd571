"""Meta-architectures (registry ``META_ARCHS``)."""

from .loc_point_transformer import LocPointTransformer, max_div_factor
from .snapformer import SnapFormer
from .tbtformer import BoundaryDistributionDetector, TBTFormer
from .tridet import TriDet

__all__ = ["BoundaryDistributionDetector", "LocPointTransformer", "SnapFormer", "TBTFormer", "TriDet",
           "max_div_factor"]
