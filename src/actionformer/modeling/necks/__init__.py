"""Necks (registry ``NECKS``): importing this package registers ``fpn`` and ``identity``."""

from .fpn import FPN1D, FPNIdentity

__all__ = ["FPN1D", "FPNIdentity"]
