"""The announcement core: Telegram HTML and length checks (agreeing with the emulator's
Telegram-strict parser), the pack's topics and prepared announcements with problems by file
and line, the subscription screen's selections, the bulk pace, durations."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.announcements.html import TEXT_LIMIT, check_html, length_problem, utf16_len
from bot.announcements.loader import load_announcements
from bot.announcements.model import ALL, duration_text, eta_seconds
from bot.content.freshness import Freshness
from bot.delivery.limits import FloodLimits
from bot.sandbox.html import EntityParseError, parse_html
from bot.ui import announcements as ui
from tests.unit.test_limits import Clock

ROOT = Path(__file__).resolve().parents[2]
LANGS = ["az", "ru", "en", "fa", "tr"]

CORPUS = [
    "plain",
    "<b>bold</b> and <i>it</i>",
    "<b><i>nested</i></b>",
    "<b>crossed <i>tags</b></i>",
    "<b>unclosed",
    "closing only</b>",
    "a < b",
    "a > b",
    "fish & chips",
    "&amp; &lt; &gt; &quot; &#128512; &#x1F600;",
    "&nbsp;",
    '<a href="https://example.org">link</a>',
    "<a>no href</a>",
    '<span class="tg-spoiler">s</span>',
    "<span>bare</span>",
    "<tg-spoiler>x</tg-spoiler>",
    "<script>x</script>",
    '<pre><code class="language-python">x</code></pre>',
    "<blockquote expandable>q</blockquote>",
    "<B>upper</B>",
    "emoji 🇦🇿 and RTL مرحبا",
    "<u><s>x</s></u>",
    "<br>",
]


@pytest.mark.parametrize("text", CORPUS)
def test_html_check_agrees_with_the_emulators_telegram_parser(text: str) -> None:
    checked = check_html(text)
    try:
        visible, _entities = parse_html(text)
        telegram_ok = True
    except EntityParseError:
        telegram_ok = False
    assert checked.ok == telegram_ok, (text, checked.problem)
    if telegram_ok:
        assert checked.visible == visible


def test_problems_say_what_to_write_instead() -> None:
    assert "write &amp;" in (check_html("Fish & chips").problem or "")
    assert "write &lt;" in (check_html("a < b").problem or "")
    assert "not closed" in (check_html("<b>open").problem or "")
    assert "unsupported tag <script>" in (check_html("<script>x</script>").problem or "")
    assert check_html("   ").problem == "the text is empty"


def test_length_is_counted_in_utf16_after_markup() -> None:
    assert length_problem("x" * TEXT_LIMIT) is None
    assert length_problem("x" * (TEXT_LIMIT + 1)) is not None
    emoji = "😀" * (TEXT_LIMIT // 2)  # two units each
    assert utf16_len(emoji) == TEXT_LIMIT and length_problem(emoji) is None
    assert length_problem(emoji + "x") is not None
    tagged = "<b>" + "x" * TEXT_LIMIT + "</b>"  # markup does not count
    assert length_problem(check_html(tagged).visible) is None
    assert length_problem("x" * 4000, reserve=100) is not None


def test_the_shipped_pack_has_topics_names_and_a_prepared_announcement() -> None:
    ann, problems, coverage = load_announcements(
        ROOT / "content", LANGS, "en", Freshness(date(2026, 12, 1))
    )
    assert [p for p in problems if p.severity == "error"] == []
    assert list(ann.topics) == ["documents", "work", "asylum", "return", "events"]
    reminder = ann.prepared["registration-reminder"]
    assert reminder.topics == ("documents",) and reminder.expires == date(2027, 6, 30)
    assert reminder.text_for(["tr", "az", "en"])[0] == "tr"
    assert reminder.text_for(["fa", "en"])[0] == "fa"
    assert reminder.text_for(["uz", "ru", "en"])[0] == "ru"  # along the chain when missing
    assert {"ru", "az", "fa", "tr"} <= reminder.drafts and "en" not in reminder.drafts
    assert ann.label("work", ["fa", "en"]) == "کار و مجوز کار"
    assert coverage["en"]["announce"][:2] == (6, 6)


def _pack_with(tmp_path: Path, name: str, body: str) -> Path:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    (root / "announcements" / f"{name}.yaml").write_text(body, encoding="utf-8")
    return root


def test_a_broken_announcement_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    body = """topics: [documents, weather]
sources:
  - title: A page
    url: https://migration.gov.az/en/oyq
last_checked: 2026-13-01
texts:
  en: "<b>unclosed"
  ru: |
    ok
  xx: hello
"""
    root = _pack_with(tmp_path, "broken", body)
    _ann, problems, _cov = load_announcements(root, LANGS, "en")
    messages = {(p.line, p.message) for p in problems if p.file.endswith("broken.yaml")}
    assert (1, "unknown subscription topic 'weather'") in messages
    assert any(line == 5 and "last_checked must be a date" in m for line, m in messages)
    assert (7, "en text: <b> is not closed") in messages
    assert any(line == 10 and "xx" in m for line, m in messages)


def test_too_long_expired_and_homepage_sourced_announcements(tmp_path: Path) -> None:
    long_text = "x" * 4090
    body = f"""topics: ['*']
sources:
  - title: A homepage
    url: https://migration.gov.az/
last_checked: 2026-11-01
expires: 2026-11-30
texts:
  en: "{long_text}"
"""
    root = _pack_with(tmp_path, "old", body)
    ann, problems, _cov = load_announcements(root, LANGS, "en", Freshness(date(2026, 12, 1)))
    mine = [p for p in problems if p.file.endswith("old.yaml")]
    assert any(p.severity == "error" and "more than 4096" in p.message for p in mine)
    assert any(p.severity == "warning" and "homepage" in p.message for p in mine)
    assert any(p.severity == "warning" and "expired" in p.message for p in mine)
    assert "old" not in ann.prepared


def test_subscription_screen_buttons_carry_the_selection_not_text() -> None:
    from bot.i18n import Catalogs

    ann, _p, _c = load_announcements(ROOT / "content", LANGS, "en")
    catalogs = Catalogs()
    catalogs.load([("en", "ltr", ())], source_language="en")
    tr = catalogs.tr("en")
    screen = ui.subscribe_screen(ann, ["work"], tr)
    data = [b.data for b in screen.all_buttons()]
    assert "n:s:work,documents" not in data and "n:s:documents,work" in data  # pack order
    assert "n:s:-" in data  # unticking work leaves nothing
    assert "n:ok:work" in data and "n:s:*" in data
    assert ui.decode_topics("work,nonsense,documents", ann) == ["documents", "work"]
    assert ui.decode_topics("*", ann) == [ALL] and ui.decode_topics("-", ann) == []
    everything = ui.subscribe_screen(ann, [ALL], tr)
    assert "n:ok:*" in [b.data for b in everything.all_buttons()]
    assert all(len((b.data or "").encode()) <= 64 for b in everything.all_buttons())


def test_the_bulk_pace_keeps_its_cap_and_never_bursts() -> None:
    clock = Clock()
    lim = FloodLimits(now=clock, overall_per_second=30, bulk_per_second=10, chat_per_second=0)
    taken = 0
    for _ in range(10_000):  # ten seconds, looking every 1 ms (late by up to a look)
        if lim.bulk_delay() == 0:
            lim.take_bulk()
            taken += 1
        clock.t += 0.001
    assert 100 <= taken <= 105  # the pace, plus the catch-up allowance at the start
    clock.t += 60  # a pause: at most four sends of catching up, then the pace again
    burst = 0
    while lim.bulk_delay() == 0:
        lim.take_bulk()
        burst += 1
    assert burst == 5 and lim.bulk_delay() == pytest.approx(0.1)


def test_durations_read_the_same_in_every_language() -> None:
    assert eta_seconds(100_000, 25) == 4000
    assert duration_text(45) == "45 s"
    assert duration_text(600) == "10 min"
    assert duration_text(4000) == "1 h 7 min"
