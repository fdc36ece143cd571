"""What every meta-architecture shares: how it is built from a config, its task, and the
training state the trainer saves beside its state dict.

A meta-architecture is an ``nn.Module`` registered in ``META_ARCHS`` whose ``forward(video_list)``
returns a loss dict with ``final_loss`` in training mode and one result dict per video in eval
mode. The trainer, the evaluation loop and the CLI know nothing else about it.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Dict, Mapping, Sequence

from torch import nn


class MetaArch(nn.Module):
    """Base class of the registered meta-architectures.

    ``task`` names the evaluator (``EVALUATORS``) that scores its results. ``config_keys`` are the
    config keys it adds to the schema (``actionformer.config.Key``); a subclass inherits its
    bases' keys. ``from_config`` passes each ``model`` key whose name is a constructor argument.
    """

    task: ClassVar[str] = "detection"
    config_keys: ClassVar[Sequence[Any]] = ()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "MetaArch":
        """Build from a resolved config: the ``model`` keys the constructor takes (the loader
        copies ``train_cfg``, ``test_cfg`` and the dataset-derived sizes into ``model``)."""
        return cls(**constructor_kwargs(cls, cfg["model"]))

    def training_state(self) -> Dict[str, Any]:
        """State that training changes but the state dict does not hold (saved in checkpoints)."""
        return {}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`training_state` returned."""

    def record_diagnostics(self, enabled: bool = True) -> None:
        """Keep diagnostic scalars of each training step for :meth:`diagnostics` (the LossLogger
        asks; off by default, so nothing is computed that nobody reads)."""
        self._record_diagnostics = bool(enabled)

    def diagnostics(self) -> Dict[str, Any]:
        """Diagnostic scalars of the last training step (not losses: never summed or reduced);
        ``{}`` unless the model records some (see ``record_diagnostics``)."""
        return dict(getattr(self, "_last_diagnostics", None) or {})


def constructor_kwargs(cls: type, options: Mapping[str, Any]) -> Dict[str, Any]:
    """The entries of ``options`` that ``cls(...)`` accepts (all of them with ``**kwargs``);
    a required argument that ``options`` lacks is an error naming it."""
    params = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    missing = [name for name, p in params.items()
               if p.default is inspect.Parameter.empty and name not in options
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        raise ValueError(f"{cls.__name__} needs the model key(s) {', '.join(missing)}")
    return {k: v for k, v in options.items() if k in params}
