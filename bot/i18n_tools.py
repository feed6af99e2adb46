"""`python -m bot i18n`: extract strings, update each language's catalog, compile them."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from bot.i18n import DOMAIN, LOCALES_DIR

ROOT = LOCALES_DIR.parent
KEYWORDS = ["_", "ngettext:1,2", "N_"]


def languages() -> list[str]:
    return sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> Path:
    pot = LOCALES_DIR / f"{DOMAIN}.pot"
    keyword_args = [arg for k in KEYWORDS for arg in ("-k", k)]
    # From the checkout's root, so that locations read "bot/…" wherever the checkout lives
    # (absolute paths made every catalog differ between machines).
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        _babel(
            "extract", "-F", "babel.cfg", "--no-default-keywords", *keyword_args,
            "--project", "helpdesk-bot", "--copyright-holder", "helpdesk-bot contributors",
            "--msgid-bugs-address", "translations@example.org",
            "--add-comments", "TRANSLATORS:", "--sort-by-file", "-o", str(pot), "bot",
        )
    finally:
        os.chdir(previous)
    return pot


def update_catalogs() -> int:
    """Extract → update every language's .po (new ones created) → compile .mo."""
    pot = extract()
    for lang in languages():
        po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            status = _draft_header(po)
            _babel("update", "-i", str(pot), "-d", str(LOCALES_DIR), "-D", DOMAIN, "-l", lang,
                   "--no-fuzzy-matching", "--ignore-obsolete")
            _restore_draft_header(po, status)
        else:
            _babel("init", "-i", str(pot), "-d", str(LOCALES_DIR), "-D", DOMAIN, "-l", lang)
    compile_catalogs()
    print(f"catalogs updated: {', '.join(languages())}")
    return 0


_STATUS_KEY = '"X-Translation-Status:'


def _draft_header(po: Path) -> str | None:
    """The draft marker line of a catalog's header (babel's update would drop it)."""
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith(_STATUS_KEY):
            return line
    return None


def _restore_draft_header(po: Path, line: str | None) -> None:
    if line is None:
        return
    text = po.read_text(encoding="utf-8")
    if _STATUS_KEY in text:
        return
    anchor = '"Generated-By:'
    lines = text.splitlines()
    for i, current in enumerate(lines):
        if current.startswith(anchor):
            lines.insert(i + 1, line)
            break
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compile_catalogs() -> None:
    _babel("compile", "-d", str(LOCALES_DIR), "-D", DOMAIN, "--use-fuzzy", "--statistics")


def ui_coverage() -> dict[str, tuple[int, int, int]]:
    """Per language: (translated UI strings, total, of the translated ones fuzzy) from the .po files.

    Fuzzy entries are drafts (machine-assisted, not reviewed by a native speaker). They are
    still compiled (`--use-fuzzy`), so people see the translated UI with the draft notice,
    but `content check` counts them as drafts, not as reviewed translations.
    """
    from babel.messages.pofile import read_po

    result: dict[str, tuple[int, int, int]] = {}
    for lang in languages():
        po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        messages = [m for m in catalog if m.id]
        translated = [
            m for m in messages if (all(m.string) if isinstance(m.string, tuple) else m.string)
        ]
        fuzzy = sum(1 for m in translated if m.fuzzy)
        result[lang] = (len(translated), len(messages), fuzzy)
    return result
