"""The key reference of ``docs/config.md``, generated from the schema table.

    python -m actionformer.config.reference docs/config.md          # rewrite the reference
    python -m actionformer.config.reference docs/config.md --check  # exit 1 if it is stale

Only the part between the BEGIN / END markers is generated; the prose around it is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from .schema import OURS, Key, children, get_key, section_paths

BEGIN = "<!-- BEGIN KEY REFERENCE: generated from src/actionformer/config/keys.py by " \
        "`python -m actionformer.config.reference docs/config.md`; do not edit by hand -->"
END = "<!-- END KEY REFERENCE -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(key: Key) -> str:
    if key.is_derived:
        return "(derived)"
    if not key.has_default:
        return "—"
    return f"`{json.dumps(key.default)}`"


def _row(key: Key, section: str) -> str:
    name = key.path[len(section) + 1:] if section else key.path
    origin = "ours" if key.origin == OURS else key.origin
    return (f"| `{name}` | {_cell(key.vtype.describe())} | {_cell(_default(key))} | "
            f"{_cell(key.doc)} | {origin} |")


def render_key_reference() -> str:
    """The markdown tables: one per section, every key with type, default, meaning, origin."""
    lines: List[str] = [
        "Types: `int` excludes booleans; `float` accepts ints, never NaN; a list also accepts a tuple. "
        "Default `—`: the key is absent unless a config sets it. Origin: `original` = the "
        "original release's DEFAULTS, `original files` = set by the original's YAML files "
        "(no default there), `ours` = added by this project (its default keeps the original's "
        "behaviour).",
        "",
    ]
    for section in section_paths():
        keys = [k for k in children(section) if not k.is_section]
        if not keys:
            continue
        title = f"`{section}`" if section else "Top level"
        lines.append(f"### {title}")
        lines.append("")
        entry = get_key(section) if section else None
        if entry is not None:
            lines += [entry.doc, ""]
        lines.append("| Key | Type | Default | Meaning | Origin |")
        lines.append("|---|---|---|---|---|")
        lines += [_row(k, section) for k in keys]
        subsections = [k for k in children(section) if k.is_section]
        if subsections:
            names = ", ".join(f"`{k.path}`" for k in subsections)
            lines += ["", f"Sections: {names} (below)."]
        lines.append("")
    lines += _component_reference()
    return "\n".join(lines).rstrip() + "\n"


def _component_reference() -> List[str]:
    """One table per built-in component that declares keys: they exist only when it is selected."""
    from .components import describe_components

    lines = ["### Keys of components", "",
             "These keys belong to a component and exist only when the config selects it (a key "
             "of a component that is not selected is refused unless it holds its default).", ""]
    for selector, name, keys in describe_components():
        lines += [f"#### `{selector}: {name}`", "", "| Key | Type | Default | Meaning | Origin |",
                  "|---|---|---|---|---|"]
        lines += [_row(k, "") for k in keys if not k.is_section]
        lines.append("")
    return lines


def splice(document: str, reference: str) -> str:
    """``document`` with the text between the markers replaced by ``reference``."""
    if BEGIN not in document or END not in document:
        raise ValueError("the document has no key reference markers (BEGIN / END)")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{reference}\n{END}{tail}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the markdown file holding the markers")
    parser.add_argument("--check", action="store_true", help="only report whether it is stale")
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    updated = splice(current, render_key_reference())
    if args.check:
        if updated != current:
            print(f"{args.path}: key reference is out of date; regenerate it with "
                  f"`python -m actionformer.config.reference {args.path}`", file=sys.stderr)
            return 1
        return 0
    if updated != current:
        args.path.write_text(updated, encoding="utf-8")
        print(f"updated {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
