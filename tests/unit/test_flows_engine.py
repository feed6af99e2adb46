"""Engine tests: every path of every shipped flow, and next_step/progress/back/explain/view."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.flows import (
    Flow,
    InvalidAnswer,
    OutcomeView,
    QuestionView,
    StaleAnswers,
    all_paths,
    answer_lines,
    back,
    callback_data,
    explain,
    load_flows,
    next_step,
    parse_answer,
    parse_callback,
    progress,
    view,
)
from bot.flows.model import Outcome, Question

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
FIXTURE = REPO / "tests" / "fixtures" / "flows" / "basic"

# The FAQ ids the content pack promises; the flows must not depend on the FAQ files existing.
FAQ_IDS = {
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


@pytest.fixture(scope="module")
def shipped() -> dict[str, Flow]:
    flows, problems, _ = load_flows(CONTENT, ["az", "ru", "en"], "en", FAQ_IDS)
    assert [p for p in problems if p.severity == "error"] == []
    return flows


@pytest.fixture(scope="module")
def demo() -> Flow:
    flows, problems, _ = load_flows(FIXTURE, ["en", "ru"], "en", {"faq.one", "faq.two"})
    assert problems == []
    return flows["demo"]


# One row per path: answers as "qid=value" in order, then the outcome. A change to the rules
# of a shipped flow must show up here, and be reviewed by a caseworker.
EXPECTED_PATHS: dict[str, list[tuple[str, str]]] = {
    "reintegration": [
        ("citizen=yes from_eu=yes how=readmitted when=le6m other=yes", "supported"),
        ("citizen=yes from_eu=yes how=readmitted when=le6m other=no", "match"),
        ("citizen=yes from_eu=yes how=readmitted when=gt6m", "too_late"),
        ("citizen=yes from_eu=yes how=forced other=yes", "supported"),
        ("citizen=yes from_eu=yes how=forced other=no", "match"),
        ("citizen=yes from_eu=yes how=voluntary", "voluntary"),
        ("citizen=yes from_eu=no", "not_eu"),
        ("citizen=no", "not_citizen"),
    ],
    "work_permit": [
        ("permanent=yes", "exempt_pr"),
        ("permanent=no spouse=yes", "exempt_sp"),
        ("permanent=no spouse=no refugee=refugee", "exempt_ref"),
        ("permanent=no spouse=no refugee=applicant", "exempt_appl"),
        ("permanent=no spouse=no refugee=neither", "needed"),
    ],
    "registration": [
        ("citizen=yes", "citizen_az"),
        ("citizen=no moved=yes", "moved_new"),
        ("citizen=no moved=no kazakhstan=yes days_kz=31", "required_kz"),
        ("citizen=no moved=no kazakhstan=yes days_kz=30", "not_needed"),
        ("citizen=no moved=no kazakhstan=no days=16", "required"),
        ("citizen=no moved=no kazakhstan=no days=15", "not_needed"),
    ],
    "permanent_residence": [
        ("trp=yes years=lt2y", "too_soon"),
        ("trp=yes years=ge2y abroad=yes", "not_contin"),
        ("trp=yes years=ge2y abroad=no left=gt3m age=17", "ok_no_test"),
        ("trp=yes years=ge2y abroad=no left=gt3m age=66", "ok_no_test"),
        ("trp=yes years=ge2y abroad=no left=gt3m age=18 disability=yes", "ok_no_test"),
        ("trp=yes years=ge2y abroad=no left=gt3m age=18 disability=no", "ok_test"),
        ("trp=yes years=ge2y abroad=no left=le3m", "late"),
        ("trp=no", "need_trp"),
    ],
}

EXPECTED_RESULTS: dict[str, dict[str, str]] = {
    "reintegration": {
        "match": "likely_eligible",
        "not_citizen": "not_eligible",
        "not_eu": "not_eligible",
        "voluntary": "not_eligible",
        "too_late": "not_eligible",
        "supported": "not_eligible",
    },
    "work_permit": {
        "exempt_pr": "likely_eligible",
        "exempt_sp": "likely_eligible",
        "exempt_ref": "likely_eligible",
        "exempt_appl": "likely_eligible",
        "needed": "not_eligible",
    },
    "registration": {
        "required": "likely_eligible",
        "required_kz": "likely_eligible",
        "moved_new": "likely_eligible",
        "not_needed": "not_eligible",
        "citizen_az": "not_eligible",
    },
    "permanent_residence": {
        "ok_test": "likely_eligible",
        "ok_no_test": "likely_eligible",
        "need_trp": "not_eligible",
        "too_soon": "not_eligible",
        "not_contin": "unclear",
        "late": "unclear",
    },
}


def _row(answers: list[tuple[str, str]]) -> str:
    return " ".join(f"{q}={v}" for q, v in answers)


def test_shipped_flows_are_the_four_expected(shipped: dict[str, Flow]) -> None:
    assert sorted(shipped) == sorted(EXPECTED_PATHS)


@pytest.mark.parametrize("flow_id", sorted(EXPECTED_PATHS))
def test_every_path_of_shipped_flow(shipped: dict[str, Flow], flow_id: str) -> None:
    flow = shipped[flow_id]
    actual = [(_row(answers), outcome) for answers, outcome in all_paths(flow)]
    assert actual == EXPECTED_PATHS[flow_id]
    # The walk agrees with the enumeration, and every outcome is reachable.
    for answers, outcome in all_paths(flow):
        reached = next_step(flow, answers)
        assert isinstance(reached, Outcome) and reached.id == outcome
    assert {o for _, o in EXPECTED_PATHS[flow_id]} == set(flow.outcomes)


@pytest.mark.parametrize("flow_id", sorted(EXPECTED_RESULTS))
def test_outcome_results_of_shipped_flow(shipped: dict[str, Flow], flow_id: str) -> None:
    flow = shipped[flow_id]
    assert {o.id: o.result for o in flow.outcomes.values()} == EXPECTED_RESULTS[flow_id]


def test_reintegration_always_offers_a_caseworker(shipped: dict[str, Flow]) -> None:
    # RESTART is a closed pilot: whatever the answers, a caseworker confirms what runs today.
    flow = shipped["reintegration"]
    assert all(o.contact for o in flow.outcomes.values())
    for oid in flow.outcomes:
        for lang in ("en", "ru", "az"):
            assert "2019" in str(flow.texts.outcome_explanation(oid, [lang]))


def test_shipped_flows_have_sources_and_are_unreviewed(shipped: dict[str, Flow]) -> None:
    for flow in shipped.values():
        assert flow.sources and all(s.url.startswith("https://") for s in flow.sources)
        # The day its pages were last read (re-checked for issue 13 where the pages were read).
        assert date(2026, 11, 1) <= flow.last_checked <= date(2026, 12, 1)
        assert flow.reviewed is False


def test_typed_answers_route_through_shipped_rules(shipped: dict[str, Flow]) -> None:
    flow = shipped["reintegration"]
    when = flow.questions["when"]
    start = [("citizen", "yes"), ("from_eu", "yes"), ("how", "readmitted")]
    assert isinstance(when, Question)
    in_time = [*start, ("when", parse_answer(when, "5 months")), ("other", "no")]
    assert next_step(flow, in_time).id == "match"
    late = [*start, ("when", parse_answer(when, "1 год"))]
    assert next_step(flow, late).id == "too_late"

    pr = shipped["permanent_residence"]
    base = [("trp", "yes"), ("years", parse_answer(pr.questions["years"], "2 years"))]
    base += [("abroad", "no"), ("left", "gt3m")]
    assert next_step(pr, [*base, ("age", parse_answer(pr.questions["age"], "70"))]).id == (
        "ok_no_test"
    )
    assert next_step(pr, [*base, ("age", "65")]).id == "disability"
    short = [("trp", "yes"), ("years", parse_answer(pr.questions["years"], "23 months"))]
    assert next_step(pr, short).id == "too_soon"


# --- the demo fixture: every kind of question ----------------------------------------------


def test_demo_paths_use_boundary_values(demo: Flow) -> None:
    assert [(_row(a), o) for a, o in all_paths(demo)] == [
        ("member=yes kind=a age=17", "minor"),
        ("member=yes kind=a age=18", "adult"),
        ("member=yes kind=a age=66", "senior"),
        ("member=yes kind=b since=lt1y arrived=2019-12-31", "senior"),
        ("member=yes kind=b since=lt1y arrived=2020-01-01", "adult"),
        ("member=yes kind=b since=le3y", "adult"),
        ("member=yes kind=b since=gt3y", "senior"),
        ("member=no", "no_member"),
    ]


def test_next_step_walks_question_by_question(demo: Flow) -> None:
    assert next_step(demo, []).id == "member"
    assert next_step(demo, [("member", "yes")]).id == "kind"
    assert next_step(demo, [("member", "yes"), ("kind", "a")]).id == "age"
    answers = [("member", "yes"), ("kind", "a"), ("age", "65")]
    step = next_step(demo, answers)
    assert isinstance(step, Outcome) and step.id == "adult"


@pytest.mark.parametrize(
    ("answers", "valid"),
    [
        ([("kind", "a")], 0),  # not the current question
        ([("member", "maybe")], 0),  # not an option
        ([("member", "yes"), ("kind", "c")], 1),
        ([("member", "yes"), ("kind", "a"), ("age", "121")], 2),  # out of range
        ([("member", "yes"), ("kind", "a"), ("age", "17.5")], 2),  # not whole
        ([("member", "yes"), ("kind", "a"), ("age", "old")], 2),
        ([("member", "yes"), ("kind", "b"), ("since", "lt1y"), ("arrived", "2020-13-01")], 3),
        ([("member", "no"), ("kind", "a")], 1),  # answer after the outcome
    ],
)
def test_stale_answers(demo: Flow, answers: list[tuple[str, str]], valid: int) -> None:
    with pytest.raises(StaleAnswers) as info:
        next_step(demo, answers)
    assert info.value.valid == valid


def test_progress_counts_the_longest_remaining_path(demo: Flow) -> None:
    assert progress(demo, []) == (1, 4)
    assert progress(demo, [("member", "yes")]) == (2, 4)
    # After choosing "a" only age is left: the total shrinks to the path actually ahead.
    assert progress(demo, [("member", "yes"), ("kind", "a")]) == (3, 3)
    assert progress(demo, [("member", "yes"), ("kind", "b")]) == (3, 4)
    assert progress(demo, [("member", "no")]) == (1, 1)


def test_progress_of_shipped_reintegration(shipped: dict[str, Flow]) -> None:
    flow = shipped["reintegration"]
    assert progress(flow, []) == (1, 5)
    start = [("citizen", "yes"), ("from_eu", "yes"), ("how", "forced")]
    assert progress(flow, start) == (4, 4)


def test_back_drops_only_the_last_answer() -> None:
    answers = [("member", "yes"), ("kind", "a")]
    assert back(answers) == [("member", "yes")]
    assert answers == [("member", "yes"), ("kind", "a")]  # not mutated
    assert back([("member", "yes")]) == []
    assert back([]) == []


def test_back_then_next_step_returns_to_previous_question(demo: Flow) -> None:
    answers = [("member", "yes"), ("kind", "b"), ("since", "gt3y")]
    assert next_step(demo, back(answers)).id == "since"


def test_explain_lists_answers_and_outcome(demo: Flow) -> None:
    answers = [("member", "yes"), ("kind", "a"), ("age", "70")]
    explanation = explain(demo, answers, "senior")
    assert explanation.outcome.id == "senior"
    assert explanation.answers == tuple(answers)
    assert explain(demo, answers, demo.outcomes["senior"]).outcome.result == "likely_eligible"
    with pytest.raises(StaleAnswers):
        explain(demo, answers, "adult")
    with pytest.raises(StaleAnswers):
        explain(demo, answers[:2], "senior")  # not at an outcome yet


def test_answer_lines_use_summaries_and_labels(demo: Flow) -> None:
    answers = [("member", "yes"), ("kind", "b"), ("since", "lt1y"), ("arrived", "2019-12-31")]
    assert answer_lines(demo, answers, ["en"]) == [
        "Member: Yes",
        "Kind: Kind B",
        "Joined: Less than a year ago",
        "Arrived: December 31, 2019",
    ]
    # Russian has only the "yes" label; the rest falls back to English.
    assert answer_lines(demo, answers[:1], ["ru", "en"]) == ["Member: Да"]


def test_answer_lines_of_shipped_flow_in_azerbaijani(shipped: dict[str, Flow]) -> None:
    flow = shipped["reintegration"]
    lines = answer_lines(flow, [("citizen", "yes"), ("from_eu", "no")], ["az", "ru", "en"])
    assert lines == ["Azərbaycan vətəndaşı: Bəli", "Aİ ölkəsindən qayıdıb: Xeyr"]


def test_texts_fall_back_along_the_chain(demo: Flow) -> None:
    title = demo.texts.title(["ru", "en"])
    assert (str(title), title.lang, title.fallback, title.draft) == ("Демо", "ru", False, True)
    intro = demo.texts.intro(["ru", "en"])
    assert (str(intro), intro.lang, intro.fallback) == ("Demo intro", "en", True)
    assert demo.texts.hint("member", ["ru", "en"]) is None
    assert str(demo.texts.option("member", "yes", ["ru", "en"])) == "Да"
    no = demo.texts.option("member", "no", ["ru", "en"])
    assert (str(no), no.fallback) == ("No", True)
    assert demo.texts.next_steps("adult", ["ru", "en"]).text == ("Apply.", "Bring your passport.")


def test_view_of_a_question(demo: Flow) -> None:
    step = view(demo, [("member", "yes")], ["ru", "en"])
    assert isinstance(step, QuestionView)
    assert step.text == "Which kind?"
    assert step.fallback is True
    assert step.options == (
        ("a", "Kind A", "q:demo:2:kind:a"),
        ("b", "Kind B", "q:demo:2:kind:b"),
    )
    assert (step.number, step.total) == (2, 4)
    first = view(demo, [], ["ru", "en"])
    assert isinstance(first, QuestionView)
    assert [label for _, label, _ in first.options] == ["Да", "No"]
    # The question is in Russian but the "No" button fell back to English.
    assert (first.text, first.fallback) == ("Вы участник?", True)


def test_view_of_an_outcome(demo: Flow) -> None:
    answers = [("member", "yes"), ("kind", "a"), ("age", "12")]
    step = view(demo, answers, ["en"])
    assert isinstance(step, OutcomeView)
    assert step.outcome.id == "minor"
    assert step.title == "Ask us"
    assert step.next_steps == ("Ask a caseworker.",)
    assert step.because == "Because you answered:"
    assert step.answer_lines == ("Member: Yes", "Kind: Kind A", "Age: 12")
    assert step.contact is True
    assert step.sources[0].url == "https://example.org/rules"
    assert step.last_checked == date(2026, 11, 1)
    assert step.fallback is False


def test_callback_data_round_trip(demo: Flow) -> None:
    data = demo.callback_data("since", "le3y")
    assert data == callback_data("demo", 2, "since", "le3y") == "q:demo:2:since:le3y"
    assert parse_callback(data) == ("demo", 2, "since", "le3y")
    assert parse_callback("f:doc.trp") is None
    assert parse_callback("q:demo:x:since:le3y") is None


def test_parse_answer_feeds_next_step(demo: Flow) -> None:
    age = demo.questions["age"]
    with pytest.raises(InvalidAnswer):
        parse_answer(age, "a hundred")
    answers = [("member", "yes"), ("kind", "a"), ("age", parse_answer(age, " 30 "))]
    assert next_step(demo, answers).id == "adult"
    arrived = demo.questions["arrived"]
    answers = [("member", "yes"), ("kind", "b"), ("since", "lt1y")]
    answers.append(("arrived", parse_answer(arrived, "31.12.2019", today=date(2026, 1, 1))))
    assert next_step(demo, answers).id == "senior"
