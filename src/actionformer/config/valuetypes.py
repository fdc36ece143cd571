"""Value types of config keys: each checks a value and describes itself for the docs.

``check(value)`` returns ``None`` when the value is acceptable, otherwise a short reason
(``"expected int >= 1"``) that the validator prefixes with the key path and suffixes with the
value. ``describe()`` gives the same wording for the generated key reference.
"""

from __future__ import annotations

import difflib
import importlib
import numbers
import re
from typing import Any, Optional, Sequence, Tuple


def show(value: object) -> str:
    """A value as a user would write it in YAML, with its Python type when that helps."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}' (str)"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _show_plain(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return show(value)


def is_int(value: object) -> bool:
    """An integer of any kind (numpy's too), but not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A real number of any kind (numpy's too), but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


class ValueType:
    """Base class: an acceptable set of values."""

    def check(self, value: object) -> Optional[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def _expected(self) -> str:
        return f"expected {self.describe()}"


class _Number(ValueType):
    name = "number"

    def __init__(self, lo: Optional[float] = None, hi: Optional[float] = None,
                 lo_open: bool = False, hi_open: bool = False) -> None:
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open

    def _accepts(self, value: object) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def check(self, value: object) -> Optional[str]:
        if not self._accepts(value):
            reason = self._expected()
            if isinstance(value, str) and _looks_like_float(value):
                reason += " (YAML reads an exponent without a dot as text: write 1.0e-4, not 1e-4)"
            return reason
        if value != value:  # NaN: every comparison below would be False and let it through
            return self._expected()
        too_low = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        too_high = self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi)
        return self._expected() if (too_low or too_high) else None

    def describe(self) -> str:
        if self.lo is not None and self.hi is not None:
            left, right = ("(" if self.lo_open else "["), (")" if self.hi_open else "]")
            return f"{self.name} in {left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"
        if self.lo is not None:
            return f"{self.name} {'>' if self.lo_open else '>='} {_fmt(self.lo)}"
        if self.hi is not None:
            return f"{self.name} {'<' if self.hi_open else '<='} {_fmt(self.hi)}"
        return self.name


_FLOAT_TEXT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _looks_like_float(text: str) -> bool:
    return bool(_FLOAT_TEXT.match(text.strip()))


class Int(_Number):
    """An integer (``bool`` is not one), optionally bounded."""

    name = "int"

    def _accepts(self, value: object) -> bool:
        return is_int(value)


class Float(_Number):
    """A real number; ints are accepted where floats are expected."""

    name = "float"

    def _accepts(self, value: object) -> bool:
        return is_number(value)


class Bool(ValueType):
    def check(self, value: object) -> Optional[str]:
        return None if isinstance(value, bool) else self._expected()

    def describe(self) -> str:
        return "bool"


class Str(ValueType):
    """A string, optionally one of fixed ``choices`` or matching ``pattern``."""

    def __init__(self, choices: Optional[Sequence[str]] = None, pattern: Optional[str] = None,
                 pattern_doc: Optional[str] = None) -> None:
        self.choices = tuple(choices) if choices else None
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_doc = pattern_doc

    def check(self, value: object) -> Optional[str]:
        if not isinstance(value, str):
            return self._expected()
        if self.choices is not None and value not in self.choices:
            return self._expected()
        if self.pattern is not None and not self.pattern.fullmatch(value):
            return self._expected()
        if self.choices is None and self.pattern is None and not value:
            return "expected a non-empty str"
        return None

    def describe(self) -> str:
        if self.choices is not None:
            return " | ".join(f'"{c}"' for c in self.choices)
        if self.pattern_doc:
            return self.pattern_doc
        return "str"


class Null(ValueType):
    def check(self, value: object) -> Optional[str]:
        return None if value is None else self._expected()

    def describe(self) -> str:
        return "null"


class ListOf(ValueType):
    """A list (or tuple) whose items are all of ``item`` type, optionally of fixed length."""

    def __init__(self, item: ValueType, length: Optional[int] = None, min_len: int = 0) -> None:
        self.item, self.length, self.min_len = item, length, min_len

    def check(self, value: object) -> Optional[str]:
        if not isinstance(value, (list, tuple)):
            return self._expected()
        if self.length is not None and len(value) != self.length:
            return f"{self._expected()} (got {len(value)} items)"
        if len(value) < self.min_len:
            return f"{self._expected()} (got {len(value)} items)"
        for idx, item in enumerate(value):
            reason = self.item.check(item)
            if reason is not None:
                return f"{self._expected()}; item {idx} is {show(item)}"
        return None

    def describe(self) -> str:
        inner = self.item.describe()
        if isinstance(self.item, AnyOf):
            inner = f"({inner})"
        if self.length is not None:
            return f"list of {self.length} [{inner}]"
        if self.min_len > 0:
            return f"non-empty list[{inner}]"
        return f"list[{inner}]"


class AnyOf(ValueType):
    """A value of any one of several types (``null | [lo, hi]``, ``int | list[int]``)."""

    def __init__(self, *options: ValueType) -> None:
        self.options: Tuple[ValueType, ...] = options

    def check(self, value: object) -> Optional[str]:
        reasons = [opt.check(value) for opt in self.options]
        if any(r is None for r in reasons):
            return None
        # a list that fails as a list says why (which item), rather than the generic union
        if isinstance(value, (list, tuple)):
            for opt, reason in zip(self.options, reasons):
                if isinstance(opt, ListOf):
                    return f"expected {self.describe()}; as a list: {reason}"
        return self._expected()

    def describe(self) -> str:
        return " | ".join(opt.describe() for opt in self.options)


class Section(ValueType):
    """A nested mapping of keys (its keys are described by their own entries)."""

    def check(self, value: object) -> Optional[str]:
        return None if isinstance(value, dict) else "expected a mapping (section)"

    def describe(self) -> str:
        return "mapping"


class Derived(ValueType):
    """A key filled in by the loader from another key; users do not set it."""

    def __init__(self, source: str) -> None:
        self.source = source

    def check(self, value: object) -> Optional[str]:
        return None  # consistency with ``source`` is a rule of its own

    def describe(self) -> str:
        return f"copy of `{self.source}`"


class Registered(ValueType):
    """The name of an entry of a registry (``"LocPointTransformer"`` in ``META_ARCHS``).

    The registry is named as ``"module:ATTRIBUTE"`` and imported on first use, so the config
    package does not import the model. A key of this type *selects* a component: the config
    keys that component declares join the schema (see ``components.py``).
    """

    def __init__(self, registry: str) -> None:
        self.registry_path = registry

    @property
    def registry(self) -> Any:
        module, attribute = self.registry_path.split(":")
        return getattr(importlib.import_module(module), attribute)

    def check(self, value: object) -> Optional[str]:
        if not isinstance(value, str) or not value:
            return f"expected the name of a registered {self.registry.kind}"
        registry = self.registry
        if value not in registry:
            close = difflib.get_close_matches(value, registry.names(), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"{self._expected()}{hint}"
        return None

    def describe(self) -> str:
        registry = self.registry
        names = " | ".join(f'"{n}"' for n in registry.names())
        return f"a registered {registry.kind} ({names or 'none yet: a module in custom_imports may register one'})"
