"""Problems found while loading content: where (file, line) and what, and the one reporter
every loader (pack, flows, routing, replies, intents) collects them with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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


class Reporter:
    """The one way loaders report: problems of one file, by line, with the checks every
    loader shares (unknown and missing keys). Loaders of several files make one per file
    over a shared list."""

    def __init__(self, file: str, problems: list[Problem] | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = [] if problems is None else problems
        self.errors = 0

    def error(self, line: int, message: str) -> None:
        self.errors += 1
        self.problems.append(Problem(self.file, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "warning"))

    def keys(
        self,
        node: Mapping[str, Any],
        what: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> None:
        """Report keys of a mapping that are unknown (with what is allowed) or missing."""
        needed = set(required)
        known = sorted(set(allowed) | needed)
        for key in node:
            if key not in known:
                self.error(
                    _line_of(node, key),
                    f"{what}: unknown key {key!r} (allowed: {', '.join(known)})",
                )
        for key in sorted(needed - set(node)):
            self.error(line_of(node, 0), f"{what}: missing key {key!r}")


def line_of(node: Any, default: int) -> int:
    """The line a YAML node starts on (yamlio's nodes know it), else `default`."""
    return getattr(node, "line", 0) or default


def _line_of(node: Mapping[str, Any], key: str) -> int:
    get = getattr(node, "line_of", None)
    return int(get(key)) if get is not None else line_of(node, 0)
