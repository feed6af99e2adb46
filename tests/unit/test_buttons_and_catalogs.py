"""Every button the whole pack can produce fits Telegram's 64-byte callback data; every
language's compiled catalog loads and really translates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bundle import ContentBundle
from bot.bundle.service import LoadedContent, load_catalogs
from bot.flows.engine import QuestionView, all_paths, view
from bot.i18n import CatalogError, Catalogs
from bot.ui import cases as case_ui
from bot.ui import flows as flow_ui
from bot.ui import menus
from bot.ui.screen import CALLBACK_LIMIT, Screen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(real_content: LoadedContent) -> ContentBundle:
    return real_content.bundle


def _data(screen: Screen) -> list[str]:
    return [b.data for b in screen.all_buttons() if b.data is not None]


def test_every_button_of_the_pack_fits_64_bytes(bundle: ContentBundle) -> None:
    pack = bundle.pack
    catalogs = load_catalogs(bundle)
    seen: list[str] = []
    for lang in pack.languages:
        tr = catalogs.tr(lang)
        seen += _data(menus.language_picker(pack, lang, True, tr))
        seen += _data(menus.audience_question(pack, tr))
        for audience in (None, *pack.audiences):
            seen += _data(menus.main_menu(pack, audience, tr))
            for topic_id in pack.topics:
                seen += _data(menus.topic_menu(pack, topic_id, audience, tr))
        for item in pack.items.values():
            text, _ = pack.text(item.id, lang)
            for page in range(1, len(text.pages) + 1):
                seen += _data(
                    menus.item_page(
                        pack, item, page, tr, flow_titles=bundle.flow_titles(item.flows, lang)
                    )
                )
        seen += _data(flow_ui.flow_list(pack, bundle.flows, tr))
        chain = pack.language_chain(lang)
        for flow in bundle.flows.values():
            for answers, _outcome in all_paths(flow):
                for n in range(len(answers) + 1):
                    step = view(flow, answers[:n], chain)
                    if isinstance(step, QuestionView):
                        screen = flow_ui.question(flow, step, tr)
                    else:
                        screen = flow_ui.outcome(pack, flow, step, tr)
                    seen += _data(screen)
        seen += _data(case_ui.intake_category(pack, tr))
        seen += _data(case_ui.intake_vulnerabilities(tr, set()))
        for view_name in ("main", "status", "prio", "svc", "out"):
            seen += [
                b.data
                for row in case_ui.card_buttons(9_999_999_999, tr, view_name)
                for b in row
                if b.data
            ]
    assert seen, "no buttons built"
    too_long = [d for d in seen if len(d.encode()) > CALLBACK_LIMIT]
    assert too_long == []
    assert all(":" in d for d in seen)  # short ids with a prefix, never translated text


KNOWN = "Main menu"


def test_every_language_has_a_compiled_catalog_that_translates(bundle: ContentBundle) -> None:
    catalogs = load_catalogs(bundle)
    for lang in bundle.pack.languages:
        tr = catalogs.tr(lang)
        if lang == "en":
            assert tr._(KNOWN) == KNOWN
        else:
            assert tr._(KNOWN) != KNOWN, f"{lang}: {KNOWN!r} is not translated (empty catalog?)"


def test_plural_forms_follow_the_language() -> None:
    catalogs = Catalogs()
    catalogs.load([("ru", "ltr", ("en",)), ("en", "ltr", ())])
    tr = catalogs.tr("ru")
    forms = {tr.ngettext("{count} day", "{count} days", n) for n in (1, 2, 5)}
    assert len(forms) == 3  # Russian: one, few, many


def test_a_missing_compiled_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    with pytest.raises(CatalogError, match="de"):
        Catalogs(tmp_path).load([("de", "ltr", ("en",))])


def test_compiled_catalogs_are_up_to_date_with_their_sources() -> None:
    """A fresh clone needs no compile step, so the committed .mo must match its .po."""
    from io import BytesIO

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run make i18n"
        with po.open("rb") as fh:
            source = read_po(fh)
        compiled = read_mo(BytesIO(mo.read_bytes()))

        def key(m):
            return tuple(m.id) if isinstance(m.id, list | tuple) else m.id

        def value(m):
            return tuple(m.string) if isinstance(m.string, list | tuple) else m.string

        expected = {
            key(m): value(m)
            for m in source
            if m.id and m.string and (not isinstance(m.string, list | tuple) or all(m.string))
        }
        actual = {key(m): value(m) for m in compiled if m.id}
        assert expected == actual, f"{mo} is out of date: run make i18n"
