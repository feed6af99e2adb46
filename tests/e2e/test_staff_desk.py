"""The caseworkers' desk: canned replies, /case, /find, /mine, /report, team topics, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.config import Settings
from bot.export import export_cases
from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness


async def _topic(harness: Harness, case_id: int) -> int:
    await harness.settle()
    return next(t.thread_id for t in harness.staff.topics() if t.name.startswith(f"#{case_id} "))


async def test_canned_reply_goes_out_in_the_persons_language(harness: Harness) -> None:
    person = harness.person("Oleg", "ru")
    await onboard(person, "Русский")
    case_id = await open_request(person, "нужен номер колл-центра")
    thread = await _topic(harness, case_id)
    aysel = harness.caseworkers[0]
    await aysel.send_in(harness.staff, "/reply", thread_id=thread)
    listing = await harness.staff.wait_for("call_centre", thread_id=thread)
    assert "legal_aid" in listing.text
    await aysel.send_in(harness.staff, "/reply call_centre", thread_id=thread)
    preview = await harness.staff.wait_for("919", thread_id=thread)
    await aysel.press_in(harness.staff, "Send to the person", preview)
    reply = await person.wait_for("919")
    assert any("\u0400" <= ch <= "\u04ff" for ch in reply.text)  # Russian text
    await harness.settle()
    entries = await harness.services.records.audit_for(case_id)
    sent = [e for e in entries if e.action == "reply_template:call_centre"]
    assert len(sent) == 1 and sent[0].actor_id is not None  # audited with the relay, once


async def test_case_find_mine_and_report(harness: Harness) -> None:
    person = harness.person("Jamila", "en")
    await onboard(person)
    case_id = await open_request(person, "lost my ID card in Ganja", category="documents")
    thread = await _topic(harness, case_id)
    aysel = harness.caseworkers[0]
    card = next(m for m in harness.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(harness.staff, "Claim", card)
    await harness.settle()
    await aysel.send_in(harness.staff, f"/case {case_id}")
    shown = await harness.staff.wait_for("lost my ID card in Ganja")
    assert f"#{case_id}" in shown.text
    await aysel.send_in(harness.staff, "/find Ganja")
    found = await harness.staff.wait_for("Found")
    assert f"#{case_id}" in found.text
    await aysel.send_in(harness.staff, "/mine")
    mine = await harness.staff.wait_for("My cases")
    assert f"#{case_id}" in mine.text
    await aysel.send_in(harness.staff, "/report")
    report = await harness.staff.wait_for("Report")
    assert "Cases: 1" in report.text and "individuals: 3" in report.text  # 2 adults + 1 child


async def test_team_topic_announces_new_cases(harness: Harness) -> None:
    person = harness.person("Team", "en")
    await onboard(person)
    case_id = await open_request(person, "documents team please", category="documents")
    await harness.settle()
    names = [t.name for t in harness.staff.topics()]
    assert "Documents" in names  # routing.yaml: the documents team announces in its topic
    team = next(t for t in harness.staff.topics() if t.name == "Documents")
    await harness.staff.wait_for(f"New case #{case_id}", thread_id=team.thread_id)


async def test_intake_draft_survives_a_restart(harness: Harness) -> None:
    person = harness.person("Draft", "en")
    await onboard(person)
    await person.press_data("r:new", person.last().message_id)
    await person.wait_for(has_data("i:cat:"))
    await person.press_data("i:cat:health", person.last().message_id)
    await person.wait_for(has_data("i:x"))
    await person.send("part one, before the restart")
    await person.wait_for(has_data("i:done"))
    await harness.restart()
    await person.send("part two, after it")
    await person.wait_for(lambda m: "2" in m.text and has_data("i:done")(m))
    row = await harness.services.people.get(person.user_id)
    assert row is not None and [p["t"] for p in row.state_data["parts"]] == [
        "part one, before the restart",
        "part two, after it",
    ]


async def test_export_writes_csv_without_personal_data(harness: Harness, tmp_path: Path) -> None:
    person = harness.person("Csv", "en")
    await onboard(person)
    await open_request(person, "secret text that must not be exported")
    await harness.settle()
    out = tmp_path / "cases.csv"
    settings = Settings(database_path=harness.db_path)
    assert await export_cases(settings, None, None, out) == 0
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and rows[0]["category"] == "documents"
    assert "secret text" not in text and "Csv" not in text and str(person.user_id) not in text


async def test_reload_is_for_admins_only(harness: Harness) -> None:
    await harness.caseworkers[0].send_in(harness.staff, "/reload")
    await harness.staff.wait_for("Only admins can reload")
    await harness.admin.send_in(harness.staff, "/reload")
    # Reloading rebuilds the search index in a thread: seconds of CPU on a busy machine.
    done = await harness.staff.wait_for("Content reloaded", timeout=30)
    assert harness.services.content.version in done.text
