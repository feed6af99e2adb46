"""Validator tests: broken copies of a small flow must be refused with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.problems import Problem
from bot.flows import Flow, load_flows

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "flows" / "basic"
FAQ = {"faq.one", "faq.two"}
FLOW_FILE = "flows/demo.yaml"
EN_FILE = "text/en/flows.yaml"

SHIPPED_FAQ_IDS = {
    "doc.registration",
    "doc.visa_free_stay",
    "doc.trp",
    "doc.permanent_residence",
    "doc.work_permit",
    "doc.work_permit_exempt",
    "doc.lost_passport_abroad",
    "doc.id_card",
    "doc.address_registration_citizen",
    "reint.first_steps",
    "reint.restart",
    "reint.working_group",
    "reint.iom_avrr",
    "svc.job_seeker",
    "svc.sms_call_centre",
    "asylum.apply",
    "rights.refugee",
}


def _pack(tmp_path: Path, edits: dict[str, list[tuple[str, str]]] | None = None) -> Path:
    """A copy of the fixture pack with exact text replacements (each must apply once)."""
    root = tmp_path / "pack"
    shutil.copytree(FIXTURE, root)
    for rel, changes in (edits or {}).items():
        path = root / rel
        text = path.read_text(encoding="utf-8")
        for old, new in changes:
            assert text.count(old) == 1, f"fixture edit {old!r} must match once in {rel}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return root


def _load(
    root: Path, faq: set[str] = FAQ
) -> tuple[dict[str, Flow], list[Problem], dict[str, tuple[int, int]]]:
    return load_flows(root, ["en", "ru"], "en", faq)


def _errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _one_error(problems: list[Problem], fragment: str) -> Problem:
    found = [p for p in _errors(problems) if fragment in p.message]
    assert len(found) == 1, f"expected one error with {fragment!r}, got {problems}"
    return found[0]


def test_fixture_is_valid_and_coverage_counts_texts(tmp_path: Path) -> None:
    flows, problems, coverage = _load(_pack(tmp_path))
    assert problems == []
    assert list(flows) == ["demo"]
    # 33 required texts + 1 optional hint present in English; Russian has 3 of them.
    assert coverage == {"en": (34, 34), "ru": (3, 34)}


def test_dead_end_mapping_without_every_option(tmp_path: Path) -> None:
    root = _pack(tmp_path, {FLOW_FILE: [("next: {a: age, b: since}", "next: {a: age}")]})
    flows, problems, _ = _load(root)
    error = _one_error(problems, "answer 'b' leads nowhere")
    assert (error.file, error.line) == ("pack/flows/demo.yaml", 18)
    assert flows == {}  # a flow with errors is never served


def test_dead_end_rules_without_default(tmp_path: Path) -> None:
    root = _pack(tmp_path, {FLOW_FILE: [("      - {goto: senior}\n", "")]})
    _, problems, _ = _load(root)
    error = _one_error(problems, "matches no rule (dead end)")
    assert "answer 66" in error.message
    assert error.line == 23


def test_dead_end_question_without_next(tmp_path: Path) -> None:
    root = _pack(tmp_path, {FLOW_FILE: [("    next: {yes: kind, no: no_member}\n", "")]})
    _, problems, _ = _load(root)
    assert _one_error(problems, "no `next`").line == 12


def test_cycle(tmp_path: Path) -> None:
    root = _pack(tmp_path, {FLOW_FILE: [("le3y: adult,", "le3y: kind,")]})
    flows, problems, _ = _load(root)
    error = _one_error(problems, "cycle")
    assert "kind → since → kind" in error.message
    assert flows == {}


def test_unreachable_question_and_outcome(tmp_path: Path) -> None:
    orphan = "  - id: orphan\n    kind: yes_no\n    next: {yes: adult, no: lonely}\noutcomes:\n"
    lonely = "  - id: lonely\n    result: unclear\n"
    root = _pack(
        tmp_path,
        {
            FLOW_FILE: [
                ("outcomes:\n", orphan),
                ("    result: not_eligible\n", "    result: not_eligible\n" + lonely),
            ]
        },
    )
    _, problems, _ = _load(root)
    assert _one_error(problems, "question orphan is unreachable").line == 39
    assert _one_error(problems, "outcome lonely is unreachable").line > 39


def test_unknown_target(tmp_path: Path) -> None:
    root = _pack(tmp_path, {FLOW_FILE: [("goto: minor}", "goto: minnor}")]})
    _, problems, _ = _load(root)
    error = _one_error(problems, "unknown target 'minnor'")
    assert error.line == 19  # the question that points there


def test_unknown_faq_item(tmp_path: Path) -> None:
    _, problems, _ = _load(_pack(tmp_path), faq={"faq.one"})
    error = _one_error(problems, "unknown FAQ item 'faq.two'")
    assert error.file == "pack/flows/demo.yaml"
    assert error.line == 50  # the `related:` line of the senior outcome


def test_missing_default_language_text(tmp_path: Path) -> None:
    root = _pack(tmp_path, {EN_FILE: [('        summary: "Age"\n', "")]})
    _flows, problems, coverage = _load(root)
    error = _one_error(problems, "missing en text: demo.q.age.summary")
    assert error.file == "pack/text/en/flows.yaml"
    assert error.line == 21  # the `age:` entry where the summary belongs
    assert coverage["en"] == (33, 34)


def test_missing_default_language_outcome(tmp_path: Path) -> None:
    senior = (
        '      senior:\n        title: "Senior"\n'
        '        explanation: "Seniors qualify."\n        next_steps: ["Apply."]\n'
    )
    root = _pack(tmp_path, {EN_FILE: [(senior, "")]})
    _, problems, _ = _load(root)
    messages = {p.message for p in _errors(problems)}
    assert messages == {
        "missing en text: demo.o.senior.title",
        "missing en text: demo.o.senior.explanation",
        "missing en text: demo.o.senior.next_steps",
    }


def test_missing_text_in_other_language_is_coverage_only(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    (root / "text" / "ru" / "flows.yaml").unlink()
    flows, problems, coverage = _load(root)
    assert problems == []
    assert coverage["ru"] == (0, 34)
    assert str(flows["demo"].texts.title(["ru", "en"])) == "Demo title"


def test_callback_data_too_long(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    fid = "a_very_long_flow_id_abcd"  # 24 characters: the longest id allowed
    (root / "flows" / f"{fid}.yaml").write_text(
        f"""id: {fid}
version: 123456789012
sources: [{{title: T, url: "https://example.org/"}}]
last_checked: 2026-11-01
reviewed: false
start: abcdefghijkl
questions:
  - id: abcdefghijkl
    kind: choice
    options: [abcdefghijkl, b]
    next: {{abcdefghijkl: done, b: done}}
outcomes:
  - {{id: done, result: unclear}}
""",
        encoding="utf-8",
    )
    flows, problems, _ = _load(root)
    error = _one_error(problems, "is 65 bytes, over 64")
    assert error.file == f"pack/flows/{fid}.yaml"
    assert error.line == 8
    assert fid not in flows and "demo" in flows  # one broken flow does not hide the others


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("  - id: kind\n", "  - id: Kind-2\n", "question id 'Kind-2'"),
        ("  - id: kind\n", "  - id: kind_is_too_long\n", "question id 'kind_is_too_long'"),
        ("options: [a, b]", "options: [a, a]", "duplicate option 'a'"),
        ("options: [a, b]", "options: [a, 'B!']", "option id 'B!'"),
        ("version: 2", "version: two", "version must be a whole number"),
        ("reviewed: false", "reviewed: maybe", "reviewed must be true or false"),
        ("last_checked: 2026-11-01", "last_checked: 1.11.2026", "last_checked must be a date"),
        ("    url: https://example.org/rules", "    url: example.org", "http(s) url"),
        ("kind: choice", "kind: multiple", "kind must be one of"),
        (
            "    next: {yes: kind, no: no_member}",
            "    netx: {yes: kind, no: no_member}",
            "unknown key 'netx'",
        ),
        ("{when: {lt: 18}, goto: minor}", "{when: {under: 18}, goto: minor}", "operator 'under'"),
        (
            "{when: {lt: 18}, goto: minor}",
            "{when: {lt: old}, goto: minor}",
            "'old' is not a valid number answer",
        ),
        (
            '{when: {lt: "2020-01-01"}, goto: senior}',
            '{when: {lt: "2020-13-01"}, goto: senior}',
            "not a valid date answer",
        ),
        (
            "      - {id: le3y, upto: 3 years}",
            "      - {id: le3y, upto: 6 months}",
            "duration options must go up",
        ),
        (
            "      - {id: gt3y}",
            "      - {id: gt3y, upto: 9 years}",
            "last duration option must be open-ended",
        ),
        ("{id: lt1y, below: 1 year}", "{id: lt1y, below: a while}", "is not a duration"),
        ("    result: unclear", "    result: maybe", "result must be one of"),
        ("start: member", "start: no_member", "start 'no_member' is not a question"),
        (
            "next: {a: age, b: since}",
            "next: {a: age, b: since, c: age}",
            "'c' is not one of its options",
        ),
        ("    min: 0\n", "    min: 200\n", "min is above max"),
        ("id: demo", "id: other", "must match the file name"),
    ],
)
def test_structure_errors(tmp_path: Path, old: str, new: str, fragment: str) -> None:
    flows, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: [(old, new)]}))
    error = _one_error(problems, fragment)
    assert error.file == "pack/flows/demo.yaml" and error.line > 0
    assert flows == {}


def test_choice_rules_use_only_eq_and_in(tmp_path: Path) -> None:
    rules = "next:\n      - {when: {lt: a}, goto: age}\n      - {goto: since}"
    _, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: [("next: {a: age, b: since}", rules)]}))
    assert _one_error(problems, "operator 'lt' not allowed for choice").line == 19


def test_choice_rules_with_in_and_default_are_valid(tmp_path: Path) -> None:
    rules = "next:\n      - {when: {in: [a]}, goto: age}\n      - {goto: since}"
    flows, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: [("next: {a: age, b: since}", rules)]}))
    assert problems == []
    assert flows["demo"].questions["kind"].route("b") == "since"


def test_default_rule_must_be_last(tmp_path: Path) -> None:
    edits = [
        (
            "      - {when: {lt: 18}, goto: minor}\n",
            "      - {goto: minor}\n      - {when: {lt: 18}, goto: minor}\n",
        )
    ]
    _, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: edits}))
    assert _one_error(problems, "default rule (no `when`) must come last").line == 24


def test_rule_that_never_applies_is_a_warning(tmp_path: Path) -> None:
    edits = [
        (
            "      - {when: {lt: 18}, goto: minor}\n",
            "      - {when: {lt: 18}, goto: minor}\n      - {when: {lt: 10}, goto: adult}\n",
        )
    ]
    flows, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: edits}))
    assert [(p.severity, p.line) for p in problems] == [("warning", 25)]
    assert "never applies" in problems[0].message
    assert "demo" in flows


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    _, problems, _ = _load(_pack(tmp_path, {FLOW_FILE: [("options: [a, b]", "options: [a, b")]}))
    assert len(_errors(problems)) == 1
    assert _errors(problems)[0].line >= 17


def test_bad_answer_line_template(tmp_path: Path) -> None:
    root = _pack(tmp_path, {EN_FILE: [('"{question}: {answer}"', '"{question}: {answr}"')]})
    _, problems, _ = _load(root)
    error = _one_error(problems, "answer_line may only use")
    assert (error.file, error.line) == ("pack/text/en/flows.yaml", 6)


def test_next_steps_must_be_a_list(tmp_path: Path) -> None:
    root = _pack(
        tmp_path,
        {EN_FILE: [('next_steps: ["Become a member."]', 'next_steps: "Become a member."')]},
    )
    _, problems, _ = _load(root)
    assert _one_error(problems, "next_steps is a list of texts").file == "pack/text/en/flows.yaml"


def test_texts_for_unknown_question_warn(tmp_path: Path) -> None:
    root = _pack(
        tmp_path,
        {EN_FILE: [("      arrived:\n", "      arived:\n        text: x\n      arrived:\n")]},
    )
    flows, problems, _ = _load(root)
    assert [(p.severity, "unknown question 'arived'" in p.message) for p in problems] == [
        ("warning", True)
    ]
    assert "demo" in flows


def test_missing_default_texts_file(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    (root / "text" / "en" / "flows.yaml").unlink()
    _, problems, _ = _load(root)
    assert any(
        p.file == "pack/text/en/flows.yaml" and "missing" in p.message for p in _errors(problems)
    )


def test_shipped_pack_is_clean_and_fully_translated() -> None:
    flows, problems, coverage = load_flows(
        REPO / "content", ["az", "ru", "en"], "en", SHIPPED_FAQ_IDS
    )
    assert problems == []
    assert sorted(flows) == ["permanent_residence", "registration", "reintegration", "work_permit"]
    needed = coverage["en"][1]
    assert coverage == {"en": (needed, needed), "az": (needed, needed), "ru": (needed, needed)}
    for flow in flows.values():
        assert flow.texts.drafts == {"en": False, "az": True, "ru": True}
