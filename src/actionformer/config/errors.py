"""The one exception every configuration problem is reported with."""

from __future__ import annotations

from typing import Iterable, List, Optional, Union


class ConfigurationError(ValueError):
    """A config that cannot be used, with every problem found (one per line, each naming its key).

    ``problems`` holds the individual messages (``"opt.epochs: expected int >= 1, got 0"``);
    ``source`` names where the config came from (a file path, ``--set``), when known.
    """

    def __init__(self, problems: Union[str, Iterable[str]], source: Optional[str] = None) -> None:
        self.problems: List[str] = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        if len(self.problems) == 1:
            return f"invalid config{where}: {self.problems[0]}"
        lines = [f"invalid config{where} ({len(self.problems)} problems):"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)
