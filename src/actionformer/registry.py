"""A name -> object registry, so new architectures and datasets plug in without editing a switch.

Every replaceable part of the package has one registry (meta-architectures, backbones, necks,
heads, losses, target assigners, NMS methods, detection filters, evaluators, datasets). An entry
may declare the config keys it reads (``keys=`` or a ``config_keys`` class attribute, inherited
along the class hierarchy); the config loader adds them to the schema when a config selects the
entry, so a plug-in's options are typed and checked like the built-in ones.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Callable, Dict, Generic, Iterator, List, Optional, Sequence, Tuple, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to classes or factories of one kind (backbones, necks, datasets, ...).

    Registering a name twice is an error; looking up an unknown name raises a ``KeyError``
    that lists the close matches and every registered name. ``builtins`` names the module whose
    import registers the package's own entries; it is imported on the first lookup, so a
    registry can be asked for its names without importing every part up front.
    """

    def __init__(self, kind: str, builtins: Optional[str] = None) -> None:
        self.kind = kind
        self._entries: Dict[str, T] = {}
        self._keys: Dict[str, Tuple[Any, ...]] = {}
        self._builtins = builtins

    def _load_builtins(self) -> None:
        module, self._builtins = self._builtins, None  # cleared first: the import may look up
        if module is not None:
            importlib.import_module(module)

    def register(self, name: Optional[str] = None, keys: Sequence[Any] = ()) -> Callable[[T], T]:
        """Decorator: ``@BACKBONES.register("conv")`` (the object's ``__name__`` when no name).

        ``keys``: config keys (``actionformer.config.Key``) this entry reads, besides the ones
        its class declares as ``config_keys``.
        """

        def decorator(obj: T) -> T:
            key = name if name is not None else getattr(obj, "__name__")
            if key in self._entries:
                raise ValueError(f"{self.kind} '{key}' is already registered ({self._entries[key]!r})")
            self._entries[key] = obj
            self._keys[key] = tuple(keys)
            return obj

        return decorator

    def get(self, name: str) -> T:
        self._load_builtins()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise KeyError(self.unknown_message(name)) from None

    def unknown_message(self, name: object) -> str:
        """``unknown <kind> 'name'. Did you mean ...? Registered: ...``"""
        self._load_builtins()
        close = difflib.get_close_matches(str(name), list(self._entries), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(sorted(self._entries)) or "(none)"
        return f"unknown {self.kind} '{name}'.{hint} Registered: {known}."

    def build(self, name: str, *args, **kwargs):
        """Look ``name`` up and call it with the given arguments."""
        return self.get(name)(*args, **kwargs)

    def config_keys(self, name: str) -> List[Any]:
        """The config keys entry ``name`` declares: ``keys=`` at registration, then the
        ``config_keys`` of its class and its base classes (a subclass's entry wins)."""
        obj = self.get(name)
        declared: List[Any] = list(self._keys.get(name, ()))
        if isinstance(obj, type):  # base classes first, so that a subclass's entry wins
            for owner in reversed(obj.__mro__):
                declared.extend(owner.__dict__.get("config_keys", ()))
        else:
            declared.extend(getattr(obj, "config_keys", ()))
        by_path: Dict[str, Any] = {}
        for key in declared:
            by_path.pop(key.path, None)
            by_path[key.path] = key
        return list(by_path.values())

    def names(self) -> list:
        self._load_builtins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_builtins()
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load_builtins()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._entries)})"
