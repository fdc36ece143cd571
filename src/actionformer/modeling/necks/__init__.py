"""Necks (registry ``NECKS``): importing this package registers ``fpn``, ``identity`` and ``cs_fpn``."""

from .cs_fpn import CrossScaleFPN
from .fpn import FPN1D, FPNIdentity

__all__ = ["CrossScaleFPN", "FPN1D", "FPNIdentity"]
