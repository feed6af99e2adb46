"""Problems found while loading content: where (file, line) and what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One finding. `error` problems stop the bot from starting; `warning` ones do not."""

    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class PackError(Exception):
    """The content pack has errors; `problems` lists each with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def relative(path: Path, root: Path) -> str:
    """A path as operators see it in messages: relative to the pack's parent if possible."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)
