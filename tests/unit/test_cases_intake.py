"""The request form's step machine, without Telegram: every step, stale input, replays."""

from __future__ import annotations

from bot.cases.intake import MAX_PARTS, IntakeForm, typed_count

CATEGORIES = ("documents", "housing", "other")


def _named(text: str) -> str | None:
    return {"housing": "housing", "жильё": "housing"}.get(text.strip().lower())


def test_the_whole_form_by_buttons() -> None:
    form = IntakeForm.start(item_id="doc.passport")
    assert form.step == "category" and form.data["item"] == "doc.passport"
    assert form.press("cat", "housing", CATEGORIES).step == "describe"
    assert form.press("done", "", CATEGORIES).kind == "reshow"  # nothing described yet
    assert form.add_part(10, "text", "We have nowhere to sleep", None).kind == "added"
    assert form.press("done", "", CATEGORIES).step == "phone"
    skipped = form.press("phone", "-", CATEGORIES)
    assert (skipped.step, skipped.note) == ("region", "no_phone")
    assert form.press("region", "-", CATEGORIES).step == "adults"
    assert form.press("adults", "2", CATEGORIES).step == "children"
    assert form.press("children", "-", CATEGORIES).step == "vuln"
    assert form.data["adults"] == 2 and form.data["children"] is None
    form.press("v", "medical", CATEGORIES)
    form.press("v", "not-a-vulnerability", CATEGORIES)
    assert form.vulnerabilities == {"medical"}
    form.press("v", "medical", CATEGORIES)
    assert form.vulnerabilities == set()
    assert form.press("v", "done", CATEGORIES).step == "consent"
    assert form.press("ok", "", CATEGORIES).kind == "submit"


def test_typed_answers_where_buttons_are_expected() -> None:
    form = IntakeForm()
    assert form.type("what?", _named).kind == "reshow"
    assert form.type("Жильё", _named).step == "describe" and form.data["category"] == "housing"
    assert form.type("anything", _named).kind == "describe"  # the adapter adds it as a part
    form.data["step"] = "phone"
    assert form.type("+994 50 000 00 00", _named).note == "no_phone"  # typed numbers are not kept
    assert "phone" not in form.data
    assert form.type("  Ganja  " + "x" * 200, _named).step == "adults"
    assert form.data["region"].startswith("Ganja") and len(form.data["region"]) == 100
    assert form.type("۲", _named).step == "children" and form.data["adults"] == 2
    assert form.type("5+", _named).step == "vuln" and form.data["children"] == 5


def test_stale_or_forged_buttons_change_nothing() -> None:
    form = IntakeForm()
    before = dict(form.data)
    for action, value in [
        ("cat", "weapons"),
        ("done", ""),
        ("ok", ""),
        ("adults", "3"),
        ("zz", ""),
    ]:
        outcome = form.press(action, value, CATEGORIES)
        assert outcome.kind == "reshow" and not outcome.changed
    assert form.data == before


def test_only_the_persons_own_number_is_kept() -> None:
    form = IntakeForm({"step": "phone", "parts": []})
    assert form.contact("+994500000000", own=False).note == "not_own_phone"
    assert "phone" not in form.data
    form = IntakeForm({"step": "phone", "parts": []})
    assert form.contact("+994500000000" + "9" * 40, own=True).note == "phone_saved"
    assert len(form.data["phone"]) == 32
    assert IntakeForm({"step": "region"}).contact("+1", own=True).kind == "closed"


def test_a_replayed_message_counts_once_and_the_description_is_bounded() -> None:
    form = IntakeForm({"step": "describe", "parts": []})
    assert form.add_part(1, "photo", None, "file-1").kind == "added"
    assert form.add_part(1, "photo", None, "file-1").kind == "duplicate"
    for n in range(2, MAX_PARTS + 1):
        form.add_part(n, "text", "x", None)
    assert len(form.parts) == MAX_PARTS
    assert form.add_part(999, "text", "one more", None).kind == "full"


def test_one_acknowledgement_per_burst() -> None:
    form = IntakeForm({"step": "describe", "parts": []})
    assert form.acknowledgement(1000.0) is None  # first message: send a counter
    assert form.acknowledged(55, 1000.0)
    assert form.acknowledgement(1010.0) == 55  # soon after: edit it
    assert not form.acknowledged(55, 1010.0)
    assert form.acknowledgement(1010.0 + 121) is None  # after a pause: a new one


def test_household_counts_within_reason() -> None:
    assert typed_count("0", "adults") is None and typed_count("0", "children") == 0
    assert typed_count("31", "adults") is None and typed_count("abc", "children") is None
