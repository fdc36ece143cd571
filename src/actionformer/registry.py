"""A name -> object registry, so new architectures and datasets plug in without editing a switch."""

from __future__ import annotations

import difflib
from typing import Callable, Dict, Generic, Iterator, Optional, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to classes or factories of one kind (backbones, necks, datasets, ...).

    Registering a name twice is an error; looking up an unknown name raises a ``KeyError``
    that lists the close matches and every registered name.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: Dict[str, T] = {}

    def register(self, name: Optional[str] = None) -> Callable[[T], T]:
        """Decorator: ``@BACKBONES.register("conv")`` (the object's ``__name__`` when no name)."""

        def decorator(obj: T) -> T:
            key = name if name is not None else getattr(obj, "__name__")
            if key in self._entries:
                raise ValueError(f"{self.kind} '{key}' is already registered ({self._entries[key]!r})")
            self._entries[key] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(str(name), list(self._entries), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(self._entries)) or "(none)"
            raise KeyError(f"unknown {self.kind} '{name}'.{hint} Registered: {known}.") from None

    def build(self, name: str, *args, **kwargs):
        """Look ``name`` up and call it with the given arguments."""
        return self.get(name)(*args, **kwargs)

    def names(self) -> list:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
