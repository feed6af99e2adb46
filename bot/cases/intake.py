"""The request form as a step machine: category, description (any media), phone (only by
Telegram's contact button), region, household, vulnerabilities, consent.

Plain data in, plain data out: the form is the dict stored as the person's state (so a draft
survives restarts), each input returns what happened and where the form is now, and the
adapter shows the screen for that step. Nothing here knows Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.cases.model import VULNERABILITIES
from bot.numbers import parse_int

STEPS: tuple[str, ...] = (
    "category",
    "describe",
    "phone",
    "region",
    "adults",
    "children",
    "vuln",
    "consent",
)
MAX_PARTS = 30
MAX_TEXT = 20_000  # characters over all described parts
ACK_BURST_SECONDS = 120  # messages this close together share one "Received N" counter
MAX_HOUSEHOLD = 30  # typed household counts above this are taken for a typo
MAX_REGION = 100
MAX_PHONE = 32

Kind = Literal["moved", "reshow", "describe", "submit", "added", "full", "duplicate", "closed"]
Note = Literal["no_phone", "phone_saved", "not_own_phone"]


@dataclass(frozen=True)
class Outcome:
    """What an input did: `moved` to `step` (with an optional `note` to say), `reshow` the
    current step (input that fits nowhere), `describe` (the adapter adds the message as a
    part), `submit` (consent given), or a part `added` / refused as `full` / a `duplicate`."""

    kind: Kind
    step: str | None
    note: Note | None = None
    changed: bool = False  # the form must be saved


class IntakeForm:
    """One person's draft request: a copy of their stored state, changed by inputs."""

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = dict(data) if data else {"step": "category", "parts": []}

    @classmethod
    def start(cls, *, item_id: str | None = None, flow: list[Any] | None = None) -> IntakeForm:
        """A new draft, about an FAQ item or carrying a questionnaire's answers."""
        form = cls()
        if item_id:
            form.data["item"] = item_id
        if flow:
            form.data["flow"] = flow
        return form

    @property
    def step(self) -> str | None:
        step = self.data.get("step")
        return step if step in STEPS else None

    @property
    def parts(self) -> list[dict[str, Any]]:
        return list(self.data.get("parts", []))

    @property
    def vulnerabilities(self) -> set[str]:
        return set(self.data.get("vuln", []))

    def _move(self, step: str, note: Note | None = None, values: Mapping[str, Any] = {}) -> Outcome:
        self.data.update(values, step=step)
        return Outcome("moved", step, note, changed=True)

    def _reshow(self) -> Outcome:
        return Outcome("reshow", self.step)

    # -- buttons -------------------------------------------------------------------------

    def press(self, action: str, value: str, categories: Collection[str]) -> Outcome:
        """A button of the form (`i:<action>:<value>`); a stale or forged one re-shows."""
        step = self.step
        if action == "cat" and step == "category" and value in categories:
            return self._move("describe", values={"category": value})
        if action == "done" and step == "describe" and self.parts:
            return self._move("phone")
        if action == "phone" and step == "phone":
            return self._move("region", "no_phone")
        if action == "region" and step == "region":
            return self._move("adults")
        if action in ("adults", "children") and step == action:
            count = parse_int(value, high=MAX_HOUSEHOLD)
            return self._move("children" if action == "adults" else "vuln", values={action: count})
        if action == "v" and step == "vuln":
            if value == "done":
                return self._move("consent")
            chosen = self.vulnerabilities
            if value in VULNERABILITIES:
                chosen ^= {value}
            self.data["vuln"] = sorted(chosen)
            return Outcome("moved", "vuln", changed=True)
        if action == "ok" and step == "consent":
            return Outcome("submit", step)
        return self._reshow()

    # -- typed text and contacts ---------------------------------------------------------

    def type(self, text: str, category_named: Callable[[str], str | None]) -> Outcome:
        """Typed text: a description part, a region, or a word or number where a button was
        expected (a category's name, a household count); anything else re-shows the step."""
        step = self.step
        if step == "describe":
            return Outcome("describe", step)
        if step == "category" and (category := category_named(text)) is not None:
            return self._move("describe", values={"category": category})
        if step in ("adults", "children") and (count := typed_count(text, step)) is not None:
            return self._move("children" if step == "adults" else "vuln", values={step: count})
        if step == "region":
            return self._move("adults", values={"region": text.strip()[:MAX_REGION] or None})
        if step == "phone":
            # Phone numbers are taken only through Telegram's button: typing means "skip".
            return self._move("region", "no_phone")
        return self._reshow()

    def media(self) -> Outcome:
        """A photo, document or voice note: part of the description, else out of place."""
        return Outcome("describe", "describe") if self.step == "describe" else self._reshow()

    def contact(self, phone: str, own: bool) -> Outcome:
        """A contact shared with the button; only the person's own number is kept."""
        if self.step != "phone":
            return Outcome("closed", self.step)
        if own:
            return self._move("region", "phone_saved", {"phone": phone[:MAX_PHONE]})
        return self._move("region", "not_own_phone")

    # -- the description -----------------------------------------------------------------

    def add_part(
        self, message_id: int, kind: str, text: str | None, file_id: str | None
    ) -> Outcome:
        """One message of the description; the same message twice (a replay) counts once."""
        parts = self.parts
        used = sum(len(p.get("t") or "") for p in parts)
        if len(parts) >= MAX_PARTS or used >= MAX_TEXT:
            return Outcome("full", "describe")
        if any(p.get("m") == message_id for p in parts):
            return Outcome("duplicate", "describe")
        parts.append({"m": message_id, "k": kind, "t": text, "f": file_id})
        self.data["parts"] = parts
        return Outcome("added", "describe", changed=True)

    def acknowledgement(self, now: float) -> int | None:
        """The message id of the "Received N" counter to edit, or None to send a new one.

        One acknowledgement per burst: the counter is edited while messages keep coming, and
        sent anew only after a pause (an edit far up the chat would go unseen)."""
        ack = self.data.get("ack")
        counter = None
        if isinstance(ack, list) and len(ack) == 2 and now - float(ack[1]) < ACK_BURST_SECONDS:
            counter = ack[0]
        self.data["ack"] = [counter, now]
        return counter if isinstance(counter, int) else None

    def acknowledged(self, message_id: int, now: float) -> bool:
        """Remember the counter message; True if it is new (the form must be saved again)."""
        ack = self.data.get("ack")
        if isinstance(ack, list) and ack and ack[0] == message_id:
            return False
        self.data["ack"] = [message_id, now]
        return True


def typed_count(text: str, step: str) -> int | None:
    """A household count typed instead of pressed ("2", "۲", "5+"), within reason, else None."""
    low = 1 if step == "adults" else 0
    return parse_int(text.strip().rstrip("+"), low=low, high=MAX_HOUSEHOLD)
