"""The config schema: how a table entry looks, and lookups over the table in ``keys.py``.

Every key a config may hold has exactly one :class:`Key` entry: its dotted path, value type,
default, meaning and origin. Sections (``dataset``, ``model``, ...) are keys of type
:class:`Section`. The loader's defaults, the validator and ``docs/config.md`` all read this
one table, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .valuetypes import Derived, Section, ValueType


class _NoDefault:
    """Marks a key that is absent unless a config sets it (e.g. ``dataset.json_file``)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()

# where a key comes from: the original's DEFAULTS, the original's YAML files only, or ours
ORIGINAL = "original"
ORIGINAL_FILES = "original files"
OURS = "ours"


@dataclass(frozen=True)
class Key:
    """One config key.

    ``check`` is an extra rule on the value alone, run once ``vtype`` accepts it; it returns
    ``None`` or the reason the value is impossible. Rules spanning several keys live in
    ``rules.py``.
    """

    path: str
    vtype: ValueType
    default: object
    doc: str
    origin: str = ORIGINAL
    check: Optional[Callable[[object], Optional[str]]] = None

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.rsplit(".", 1)[0] if "." in self.path else ""

    @property
    def is_section(self) -> bool:
        return isinstance(self.vtype, Section)

    @property
    def is_derived(self) -> bool:
        return isinstance(self.vtype, Derived)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


def _table() -> Tuple[Key, ...]:
    from .keys import KEYS  # the table imports this module's Key; import it lazily

    return KEYS


def all_keys() -> Tuple[Key, ...]:
    """Every key, sections included, in table order."""
    return _table()


_BY_PATH: Dict[str, Key] = {}


def get_key(path: str) -> Optional[Key]:
    """The entry for a dotted path, or ``None`` when the schema has no such key."""
    if not _BY_PATH:
        _BY_PATH.update({k.path: k for k in _table()})
    return _BY_PATH.get(path)


def lookup(cfg: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of a config dict; ``KeyError(path)`` when it is absent."""
    node: Any = cfg
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def children(section: str, keys: Optional[Sequence[Key]] = None) -> List[Key]:
    """The direct keys of a section (``""`` for the top level), in table order; ``keys``: the
    schema to look in (default: the table alone)."""
    return [k for k in (_table() if keys is None else keys) if k.parent == section]


def section_paths() -> List[str]:
    """The top level (``""``) and every section's path."""
    return [""] + [k.path for k in _table() if k.is_section]
