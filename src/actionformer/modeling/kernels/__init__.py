"""CPU kernels: reformulations and memory layouts that only pay on the CPU.

The layers in ``actionformer.modeling.layers`` compute everything in one standard, device-
independent formulation on contiguous (B, C, T) tensors (the layout cuDNN takes). This package
holds what is faster only on the CPU: Winograd F(4, 3) convolutions, tap-product convolutions
for narrow outputs, time-major (B, T, C) activations with fused layer norm and 1x1 convolutions
as matrix products, depthwise convolutions and max-pools on channels-last views, heads run once
over all pyramid levels joined, and in-place updates of fresh intermediates.

One dispatch point (:mod:`.dispatch`): a model built with ``cpu_kernels=True`` calls
:func:`use_cpu_kernels` once; it gives every layer with a CPU variant that variant (a subclass
with the same parameters and state-dict keys), where the layer's static preconditions hold.
At call time each variant asks :func:`runs_here` whether its input is on the CPU; if not (the
model was moved to a GPU) it runs the standard formulation of its parent class.
"""

from .dispatch import runs_here, time_major_batches, use_cpu_kernels

__all__ = ["runs_here", "time_major_batches", "use_cpu_kernels"]
