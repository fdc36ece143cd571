"""The one place that decides where the CPU kernels run.

Build time (:func:`use_cpu_kernels`): each standard layer class maps to at most one CPU variant
(a subclass adding no parameters or buffers). A layer is converted in place by re-classing it,
so its parameters, state-dict keys, hooks and identity are unchanged, after the variant's
``supports`` has checked the static preconditions (kernel size, groups, stride, channels...).

Call time (:func:`runs_here`): a converted layer runs its CPU kernel only for CPU inputs and
falls back to its parent's standard forward otherwise; conditions that depend on the input
beyond the device (dtype, autocast) are checked by the kernel that needs them.
"""

from __future__ import annotations

from typing import Callable, Dict, Type, TypeVar

import torch
from torch import nn

_VARIANTS: Dict[type, type] = {}
V = TypeVar("V", bound=type)


class CpuVariant:
    """Mixin with the defaults of a CPU variant (listed first among its bases): every layer of
    the standard class qualifies, and there is nothing to settle at conversion."""

    @staticmethod
    def supports(module: nn.Module) -> bool:
        """Whether ``module``'s static settings suit the kernel (checked once, at build time)."""
        return True

    def prepare(self) -> None:
        """Settle, once after conversion, what the kernel needs (e.g. which convolution kernel)."""


def cpu_variant(standard: type) -> Callable[[V], V]:
    """Class decorator: register the decorated class as the CPU variant of ``standard``."""

    def register(variant: V) -> V:
        if not issubclass(variant, standard):
            raise TypeError(f"{variant.__name__} must subclass {standard.__name__}")
        _VARIANTS[standard] = variant
        return variant

    return register


def runs_here(x: torch.Tensor) -> bool:
    """Whether a CPU kernel may run on input ``x``: it lives on the CPU."""
    return x.device.type == "cpu"


def time_major_batches(device: torch.device) -> bool:
    """Whether padded input batches should be stored time-major for the CPU kernels."""
    return torch.device(device).type == "cpu"


def use_cpu_kernels(model: nn.Module) -> int:
    """Convert every layer of ``model`` that has a CPU variant whose preconditions hold;
    returns how many layers were converted. Exact classes only: a subclass of a standard layer
    may compute something else, so it keeps its own forward."""
    _register_variants()
    converted = 0
    for module in model.modules():
        variant: Type | None = _VARIANTS.get(type(module))
        if variant is not None and variant.supports(module):
            module.__class__ = variant
            variant.prepare(module)
            converted += 1
    return converted


def _register_variants() -> None:
    """Import the modules that register variants (not at package import: they import layers)."""
    from . import attention, conv, heads, norm, transformer  # noqa: F401
