"""`python -m bot i18n`: extract strings, update each language's catalog, compile them.

Every language the content pack declares (CONTENT_DIR, default content/) gets a catalog: one
it has none of yet is created from the template, so adding a language to languages.yaml and
running `make i18n` gives translators locales/<code>/LC_MESSAGES/messages.po to fill in.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po
from babel.util import LOCALTZ

from bot.content.loader import default_content_dir, load_languages
from bot.i18n import DOMAIN, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = ["_", "ngettext:1,2", "N_"]
# The language the UI strings are written in (msgids): it needs no catalog.
SOURCE_LANGUAGE = "en"


def languages(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Languages that have a catalog folder."""
    if not locales_dir.is_dir():
        return []
    return sorted(p.name for p in locales_dir.iterdir() if (p / "LC_MESSAGES").is_dir())


def pack_languages(content_dir: Path | None = None) -> list[str]:
    """Every language the pack declares (enabled or not) except the source language."""
    root = content_dir if content_dir is not None else default_content_dir()
    declared, _problems = load_languages(root)  # `content check` reports the problems
    return [code for code in declared.by_code if code != SOURCE_LANGUAGE]


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(locales_dir: Path = LOCALES_DIR) -> Path:
    pot = locales_dir / f"{DOMAIN}.pot"
    keyword_args = [arg for k in KEYWORDS for arg in ("-k", k)]
    # From the checkout's root, so that locations read "bot/…" wherever the checkout lives
    # (absolute paths made every catalog differ between machines).
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        _babel(
            "extract",
            "-F",
            "babel.cfg",
            "--no-default-keywords",
            *keyword_args,
            "--project",
            "helpdesk-bot",
            "--copyright-holder",
            "helpdesk-bot contributors",
            "--msgid-bugs-address",
            "translations@example.org",
            "--add-comments",
            "TRANSLATORS:",
            "--sort-by-file",
            "-o",
            str(pot.resolve()),
            "bot",
        )
    finally:
        os.chdir(previous)
    return pot


def update_catalogs(content_dir: Path | None = None, locales_dir: Path = LOCALES_DIR) -> int:
    """Extract → update every language's .po (the pack's new languages created) → compile .mo."""
    pot = extract(locales_dir)
    created: list[str] = []
    for lang in pack_languages(content_dir):
        po = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            init_catalog(pot, po, lang)
            created.append(lang)
    for lang in languages(locales_dir):
        po = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if lang in created:
            continue
        if po.exists():
            status = _draft_header(po)
            _babel(
                "update",
                "-i",
                str(pot),
                "-d",
                str(locales_dir),
                "-D",
                DOMAIN,
                "-l",
                lang,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
            _restore_draft_header(po, status)
        else:
            init_catalog(pot, po, lang)
            created.append(lang)
    compile_catalogs(locales_dir)
    print(f"catalogs updated: {', '.join(languages(locales_dir))}")
    for lang in created:
        print(
            f"created {locales_dir / lang / 'LC_MESSAGES' / f'{DOMAIN}.po'}: translate its msgstr"
            " entries (until then the UI follows the fallback chain), then run `make i18n` again"
        )
    return 0


def _babel_locale(code: str) -> Locale | None:
    """The locale babel knows for a pack code ("pt-br" -> pt_BR), or None."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, LookupError):
        return None


def init_catalog(pot: Path, po: Path, lang: str) -> None:
    """A new, empty catalog from the template (what `pybabel init` does, also for codes
    babel has no locale data for: their plural rule is then English's)."""
    locale = _babel_locale(lang)
    with pot.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    if locale is None:
        try:
            catalog.locale = lang  # an identifier babel has no data for: named in the header
        except ValueError:
            pass
    catalog.revision_date = datetime.now(LOCALTZ)
    catalog.fuzzy = False
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fh:
        write_po(fh, catalog, width=76)


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


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> None:
    _babel("compile", "-d", str(locales_dir), "-D", DOMAIN, "--use-fuzzy", "--statistics")


def ui_coverage() -> dict[str, tuple[int, int, int]]:
    """Per language: (translated UI strings, total, of the translated ones fuzzy) from the .po
    files.

    Fuzzy entries are drafts (machine-assisted, not reviewed by a native speaker). They are
    still compiled (`--use-fuzzy`), so people see the translated UI with the draft notice,
    but `content check` counts them as drafts, not as reviewed translations.
    """
    from babel.messages.pofile import read_po

    result: dict[str, tuple[int, int, int]] = {}
    for lang in languages(LOCALES_DIR):
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
