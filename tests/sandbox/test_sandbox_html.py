"""Telegram-strict HTML parsing: plain text, UTF-16 entity offsets, and rejections."""

from __future__ import annotations

import pytest

from bot.sandbox.html import EntityParseError, parse_html, strip_text, utf16_len


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("Sənəd") == 5
    assert utf16_len("😀") == 2
    assert utf16_len("پاسپورت") == 7


def test_offsets_are_utf16_after_emoji() -> None:
    text, entities = parse_html("😀 <b>bold</b>")
    assert text == "😀 bold"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]


def test_nested_tags_and_aliases() -> None:
    text, entities = parse_html(
        "<strong>a<em>b</em></strong><ins>c</ins><del>d</del><tg-spoiler>e</tg-spoiler>"
    )
    assert text == "abcde"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 2),
        ("italic", 1, 1),
        ("underline", 2, 1),
        ("strikethrough", 3, 1),
        ("spoiler", 4, 1),
    ]


def test_entities_are_decoded() -> None:
    text, entities = parse_html("&lt;tag&gt; &amp; &quot;q&quot; &#1025; &#x1F600;")
    assert text == '<tag> & "q" Ё 😀'
    assert entities == []


def test_links_mentions_pre_with_language_and_blockquotes() -> None:
    text, entities = parse_html(
        '<a href="https://e.gov.az/?a=1&amp;b=2">e-gov</a> <a href="tg://user?id=42">Aysel</a>\n'
        '<pre><code class="language-python">print(1)</code></pre>'
        "<blockquote expandable>long</blockquote><blockquote>short</blockquote>"
    )
    assert text == "e-gov Aysel\nprint(1)longshort"
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 5,
        "url": "https://e.gov.az/?a=1&b=2",
    }
    assert entities[1]["type"] == "text_mention" and entities[1]["user"]["id"] == 42
    assert {"type": "pre", "offset": 12, "length": 8, "language": "python"} in entities
    assert not any(e["type"] == "code" for e in entities)  # folded into pre
    assert {"type": "expandable_blockquote", "offset": 20, "length": 4} in entities
    assert {"type": "blockquote", "offset": 24, "length": 5} in entities


def test_attributes_may_be_single_quoted_and_tags_any_case() -> None:
    text, entities = parse_html("<B>x</B><A HREF='https://a.az'>y</A>")
    assert text == "xy"
    assert entities[1]["url"] == "https://a.az"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 < 2", 'Unsupported start tag ""'),
        ("AT&T", 'Unescaped "&"'),
        ("&nbsp;", 'Unescaped "&"'),
        ("&#xD800;", 'Unescaped "&"'),
        ("<p>x</p>", 'Unsupported start tag "p"'),
        ("<br/>", 'Unsupported start tag "br/"'),
        ("<b>x", "Can't find end tag"),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag"),
        ("<b", "Unclosed start tag"),
        ('<a href="x>y</a>', "Unclosed start tag"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("<b bold>x</b>", "Expected equal sign"),
        ("<tg-emoji>x</tg-emoji>", "emoji-id"),
    ],
)
def test_rejections(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message.replace("(", r"\(")):
        parse_html(source)


def test_error_offsets_are_in_bytes() -> None:
    with pytest.raises(EntityParseError, match="at byte offset 8"):
        parse_html("Sənəd <x>")  # "Sənəd " is 6 characters but 8 UTF-8 bytes


def test_strip_trims_and_shifts_entities() -> None:
    text, entities = parse_html("\n  <b>hi</b> there  \n")
    text, entities = strip_text(text, entities)
    assert text == "hi there"
    assert entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_strip_drops_entities_that_only_covered_whitespace() -> None:
    text, entities = strip_text("  x  ", [{"type": "bold", "offset": 0, "length": 2}])
    assert (text, entities) == ("x", [])
