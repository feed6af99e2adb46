"""The playground works from a script on stdin: a person, then a caseworker, both sides shown."""

from __future__ import annotations

import io
from pathlib import Path

from bot.config import Settings
from bot.sandbox.playground import run_playground

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
/start
1
4
!contact
passport
!staff
!topics
!person
/requests
!quit
"""


async def test_playground_runs_a_script(tmp_path: Path) -> None:
    out = io.StringIO()
    stdin = io.StringIO(SCRIPT)
    settings = Settings(content_dir=ROOT / "content")
    code = await run_playground(settings, database=tmp_path / "p.db", stdin=stdin, stdout=out)
    text = out.getvalue()
    assert code == 0
    assert "[1 English]" in text  # buttons are numbered
    assert "Main menu" in text  # pressing 1 (English) then 4 (skip) reached the menu
    assert "Here is what I found" in text  # typed text searched the FAQ
    assert "(you are now the caseworker" in text
    assert "You have no requests yet" in text
