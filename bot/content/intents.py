"""Messages that are not FAQ questions, recognised before search, and typed yes/no answers.

    content/intents.yaml              what each intent does, in order of precedence, and the
                                      search confidence threshold
    content/text/<lang>/intents.yaml  phrases of each intent, filler words, yes/no words and
                                      word equivalents for search, per language

A phrase is a few words. It matches when every one of its words is in the message, in any
order; words too common to mean anything (the stop words of text/<lang>/language.yaml) are
left out of phrases that have others, except negations ("не хочу жить"). A word ending in
`*` matches every word that starts with it (`избива*`), and a
word of five or more letters also matches one typo away. Matching is on normalised text, so
case, diacritics, ё/й and Arabic/Persian letter variants never matter.

`anywhere` intents (emergencies, a request for a person) match a phrase anywhere in the
message; `whole` intents (greetings, thanks, help) only when the message is nothing else but
their phrases and filler words, so "hello, I lost my passport" is still a question.

Every language's phrases are tried for every person: someone who chose English may still
write "помогите". The work per message is a few dictionary lookups per word (each word cut
at MAX_TOKEN_CHARS and at most MAX_WORDS words), so it stays far below a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.normalize import served
from bot.content.problems import Problem, Reporter, relative
from bot.content.search import (
    MAX_QUERY_CHARS,
    MAX_TOKEN_CHARS,
    MAX_TYPO_CHARS,
    _deletes,
    _osa_distance,
)
from bot.content.textrules import TextRules
from bot.content.yamlio import LineDict, YamlError, load_yaml

FILE_NAME = "intents.yaml"
REPLIES: tuple[str, ...] = ("emergency", "caseworker", "help", "thanks", "greeting")
MATCHES: tuple[str, ...] = ("anywhere", "whole")
ANSWERS: tuple[str, ...] = ("yes", "no")
MAX_WORDS = 40  # words of a message looked at (a pasted letter says what it is early on)
_ANSWER_WORDS = 3  # a yes/no phrase is at most this many words, at the start of the message
MIN_PREFIX = 3  # letters before a `*`
TYPO_FROM = 5  # words this long or longer also match one typo away ("helo" for "hello") ...
# ... but in phrases that match anywhere in a message only from this length: a short word
# one letter from another ("میکند" does, "میکشد" kills) must not turn a question into an alarm.
TYPO_FROM_ANYWHERE = 6
DEFAULT_MIN_CONFIDENCE = 0.55
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class IntentDef:
    """One intent: its id (the key in the phrase files), what the bot does, how it matches."""

    id: str
    reply: str
    match: str


@dataclass(frozen=True)
class _Pattern:
    word: str
    prefix: bool


class PhraseMatcher:
    """Finds which phrases a message contains: an index of phrase words built once."""

    def __init__(
        self, phrases: Iterable[tuple[str, tuple[_Pattern, ...]]], typo_from: int = TYPO_FROM
    ) -> None:
        self._typo_from = typo_from
        self._phrases: list[tuple[str, tuple[int, ...]]] = []
        ids: dict[_Pattern, int] = {}
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._typo: dict[str, list[str]] = {}
        self._pattern_phrases: dict[int, list[int]] = {}
        for key, patterns in phrases:
            pids: list[int] = []
            for pattern in patterns:
                if pattern not in ids:
                    pid = ids[pattern] = len(ids)
                    table = self._prefix if pattern.prefix else self._exact
                    table.setdefault(pattern.word, []).append(pid)
                    if not pattern.prefix and len(pattern.word) >= typo_from:
                        for variant in _deletes(pattern.word, 1):
                            self._typo.setdefault(variant, []).append(pattern.word)
                pids.append(ids[pattern])
            index = len(self._phrases)
            self._phrases.append((key, tuple(dict.fromkeys(pids))))
            for pid in set(pids):
                self._pattern_phrases.setdefault(pid, []).append(index)
        self._longest_prefix = max((len(w) for w in self._prefix), default=0)

    def _patterns_of(self, token: str) -> set[int]:
        found = set(self._exact.get(token, ()))
        for k in range(MIN_PREFIX, min(len(token), self._longest_prefix) + 1):
            found.update(self._prefix.get(token[:k], ()))
        if self._typo_from - 1 <= len(token) <= MAX_TYPO_CHARS:
            for variant in _deletes(token, 1):
                for word in self._typo.get(variant, ()):
                    if word != token and _osa_distance(token, word, 1) <= 1:
                        found.update(self._exact.get(word, ()))
        return found

    def find(self, tokens: Sequence[str]) -> list[tuple[str, set[int]]]:
        """(phrase key, positions of the tokens it used) for every phrase the tokens contain."""
        positions: dict[int, set[int]] = {}
        for pos, token in enumerate(tokens):
            for pid in self._patterns_of(token):
                positions.setdefault(pid, set()).add(pos)
        candidates = {i for pid in positions for i in self._pattern_phrases.get(pid, ())}
        out: list[tuple[str, set[int]]] = []
        for index in sorted(candidates):
            key, pids = self._phrases[index]
            if all(pid in positions for pid in pids):
                used: set[int] = set()
                for pid in pids:
                    used |= positions[pid]
                out.append((key, used))
        return out


def message_tokens(text: str, rules: TextRules | None = None) -> list[str]:
    """The normalised words of a message, bounded in number and length."""
    words = (rules or served()).normalize(text[:MAX_QUERY_CHARS]).split()
    return [w[:MAX_TOKEN_CHARS] for w in words[:MAX_WORDS]]


def parse_phrase(phrase: str, rules: TextRules | None = None) -> tuple[_Pattern, ...]:
    """A phrase's words as patterns; stop words dropped unless nothing else is left."""
    rules = rules or served()
    patterns: list[_Pattern] = []
    for raw in phrase.split():
        prefix = raw.endswith("*")
        words = rules.normalize(raw.rstrip("*")).split()
        for n, word in enumerate(words):
            patterns.append(_Pattern(word, prefix and n == len(words) - 1))
    meaningful = tuple(
        p for p in patterns if p.word not in rules.stop_words or p.word in rules.negations
    )
    return meaningful or tuple(patterns)


@dataclass(frozen=True)
class Intents:
    """The pack's intents and per-language words, ready to match messages."""

    defs: tuple[IntentDef, ...] = ()
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    filler: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    answers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    equivalents: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # How the pack's languages are written; the served pack's when not given.
    rules: TextRules = field(default_factory=served, compare=False)
    _anywhere: PhraseMatcher = field(init=False, repr=False, compare=False)
    _whole: PhraseMatcher = field(init=False, repr=False, compare=False)
    _answers: dict[str, str] = field(init=False, repr=False, compare=False)
    _ignorable: frozenset[str] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, IntentDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        match_of = {d.id: d.match for d in self.defs}
        rules = self.rules
        entries = [
            (intent, parse_phrase(phrase, rules))
            for by_intent in self.phrases.values()
            for intent, phrases in by_intent.items()
            if intent in match_of
            for phrase in phrases
        ]
        answers: dict[str, str] = {}
        for by_answer in self.answers.values():
            for answer, phrases in by_answer.items():
                for phrase in phrases:
                    start = " ".join(rules.normalize(phrase).split()[:_ANSWER_WORDS])
                    answers.setdefault(start, answer)
        ignorable = set(rules.stop_words)
        for words in self.filler.values():
            for word in words:
                ignorable.update(rules.normalize(word).split())
        object.__setattr__(
            self,
            "_anywhere",
            PhraseMatcher(
                (e for e in entries if e[1] and match_of[e[0]] == "anywhere"), TYPO_FROM_ANYWHERE
            ),
        )
        object.__setattr__(
            self, "_whole", PhraseMatcher(e for e in entries if e[1] and match_of[e[0]] == "whole")
        )
        object.__setattr__(self, "_answers", {k: v for k, v in answers.items() if k})
        object.__setattr__(self, "_ignorable", frozenset(ignorable))
        object.__setattr__(self, "_by_id", {d.id: d for d in self.defs})

    def get(self, intent_id: str) -> IntentDef | None:
        """The intent with this id, or None."""
        return self._by_id.get(intent_id)

    def ignorable(self, word: str) -> bool:
        """Whether a normalised word carries no meaning alone (stop word or filler)."""
        return word in self._ignorable

    def match(self, text: str) -> IntentDef | None:
        """The first intent (in the pack's order) the message expresses, or None."""
        tokens = message_tokens(text, self.rules)
        if not tokens:
            return None
        found = [*self._anywhere.find(tokens), *self._whole.find(tokens)]
        if not found:
            return None
        anywhere: set[str] = set()
        whole: dict[str, set[int]] = {}
        for intent_id, used in found:
            if self._by_id[intent_id].match == "anywhere":
                anywhere.add(intent_id)
            else:
                whole.setdefault(intent_id, set()).update(used)
        for definition in self.defs:
            if definition.id in anywhere:
                return definition
        covered = set().union(*whole.values()) if whole else set()
        if not whole or not all(
            pos in covered or self.ignorable(token) for pos, token in enumerate(tokens)
        ):
            return None
        # "good morning" is a greeting, not thanks for something "good": the intent whose
        # phrases cover most of the message wins, the pack's order breaks ties.
        order = {d.id: n for n, d in enumerate(self.defs)}
        best = min(whole, key=lambda i: (-len(whole[i]), order[i]))
        return self._by_id[best]

    def yes_no(self, text: str) -> str | None:
        """ "yes" or "no" if the message starts with a yes/no phrase of any language, else None."""
        tokens = message_tokens(text, self.rules)[:_ANSWER_WORDS]
        for n in range(len(tokens), 0, -1):
            found = self._answers.get(" ".join(tokens[:n]))
            if found is not None:
                return found
        return None

    def expand(self, words: Sequence[str], chain: Sequence[str]) -> list[str]:
        """Query words with each one the pack knows an equivalent of replaced by it."""
        out: list[str] = []
        for word in words:
            for lang in chain:
                found = self.equivalents.get(lang, {}).get(word)
                if found:
                    word = found
                    break
            out.append(word)
        return out


def _same_word(typed: str, label_word: str) -> bool:
    """The same word, cut short, or another form of it ("депортирован" / "депортация")."""
    if typed == label_word or (len(typed) >= 4 and label_word.startswith(typed)):
        return True
    common = 0
    for a, b in zip(typed, label_word, strict=False):
        if a != b:
            break
        common += 1
    return common >= 5 and 2 * common > min(len(typed), len(label_word))


def match_choice(
    text: str, labels: Mapping[str, str], rules: TextRules | None = None
) -> str | None:
    """The one choice a typed text names, by its label or id, else None.

    The whole label wins, then a label the text starts ("depo" for "Deported, ..."), then a
    label that has all of the text's words (each may be cut short: "депортирован" for
    "Депортирован, возвращён принудительно"). Ambiguous text names nothing. Words are
    compared by `rules` (the served pack's when not given).
    """
    rules = rules or served()
    typed = " ".join(message_tokens(text, rules))
    if not typed:
        return None
    words = [w for w in typed.split() if w not in rules.stop_words] or typed.split()
    exact: list[str] = []
    starts: list[str] = []
    subset: list[str] = []
    for key, label in labels.items():
        norm = " ".join(message_tokens(label, rules))
        if typed in (norm, rules.normalize(key)):
            exact.append(key)
        elif len(typed) >= 3 and norm.startswith(typed):
            starts.append(key)
        elif all(any(_same_word(w, lw) for lw in norm.split()) for w in words):
            subset.append(key)
    for group in (exact, starts, subset):
        if len(group) == 1:
            return group[0]
        if len(group) > 1:
            return None
    return None


# --- loading ---------------------------------------------------------------------------


class _Loader:
    def __init__(self, root: Path, rules: TextRules) -> None:
        self.root = root
        self.rules = rules
        self.problems: list[Problem] = []
        self.drafts: dict[str, bool] = {}

    def reporter(self, path: Path) -> Reporter:
        """The reporter for one file of the pack, over the loader's shared list."""
        return Reporter(relative(path, self.root), self.problems)

    def read(self, path: Path, rep: Reporter) -> LineDict | None:
        if not path.is_file():
            return None
        try:
            data = load_yaml(path)
        except YamlError as exc:
            rep.error(exc.line, f"invalid YAML: {exc.message}")
            return None
        if data is None:
            data = LineDict()
            data.line, data.key_lines = 1, {}
        if not isinstance(data, LineDict):
            rep.error(getattr(data, "line", 1), "the file must be a mapping of keys")
            return None
        return data

    def words(self, rep: Reporter, data: LineDict, key: str, what: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            rep.error(data.line_of(key), f"{what}: must be a list of phrases")
            return ()
        out: list[str] = []
        for entry in value:
            if isinstance(entry, bool):
                # yes/no/on/off unquoted read as booleans in YAML
                rep.error(
                    data.line_of(key),
                    f"{what}: quote {str(entry).lower()!r} so it stays text",
                )
            elif isinstance(entry, str | int | float) and str(entry).strip():
                phrase = str(entry).strip()
                bad = [
                    w
                    for w in phrase.split()
                    if w.endswith("*") and len(self.rules.normalize(w[:-1])) < MIN_PREFIX
                ]
                if bad:
                    rep.error(
                        data.line_of(key),
                        f"{what}: {phrase!r}: "
                        f"a word ending in * needs at least {MIN_PREFIX} letters",
                    )
                elif not parse_phrase(phrase, self.rules):
                    rep.error(data.line_of(key), f"{what}: {phrase!r} has no letters or digits")
                else:
                    out.append(phrase)
            else:
                rep.error(data.line_of(key), f"{what}: each phrase must be text")
        return tuple(out)

    def structure(self) -> tuple[tuple[IntentDef, ...], float]:
        path = self.root / FILE_NAME
        rep = self.reporter(path)
        data = self.read(path, rep)
        if data is None:
            if not path.is_file():
                rep.warning(
                    0,
                    "no intents.yaml: greetings, emergencies in words and requests "
                    "for a person are not recognised",
                )
            return (), DEFAULT_MIN_CONFIDENCE
        rep.keys(data, FILE_NAME, {"search", "intents"})
        confidence = DEFAULT_MIN_CONFIDENCE
        search = data.get("search")
        if search is not None:
            if not isinstance(search, LineDict):
                rep.error(data.line_of("search"), "search: must be a mapping")
            else:
                rep.keys(search, "search", {"min_confidence"})
                value = search.get("min_confidence", DEFAULT_MIN_CONFIDENCE)
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not 0 <= value <= 1
                ):
                    rep.error(
                        search.line_of("min_confidence"),
                        "search: min_confidence must be a number from 0 to 1",
                    )
                else:
                    confidence = float(value)
        defs: list[IntentDef] = []
        entries = data.get("intents")
        if entries is None:
            return (), confidence
        if not isinstance(entries, list):
            rep.error(data.line_of("intents"), "intents: must be a list")
            return (), confidence
        seen: set[str] = set()
        for entry in entries:
            if not isinstance(entry, LineDict):
                rep.error(
                    getattr(entries, "line", 0),
                    "each intent must be a mapping with id, reply, match",
                )
                continue
            rep.keys(entry, "intent", {"id", "reply", "match"})
            intent_id, reply, match = (
                entry.get("id"),
                entry.get("reply"),
                entry.get("match", "anywhere"),
            )
            if not isinstance(intent_id, str) or not _ID.match(intent_id):
                rep.error(entry.line_of("id"), f"intent id {intent_id!r} must be lowercase ASCII")
                continue
            if intent_id in seen:
                rep.error(entry.line_of("id"), f"intent {intent_id!r} is defined twice")
                continue
            if reply not in REPLIES:
                rep.error(
                    entry.line_of("reply"),
                    f"intent {intent_id!r}: reply must be one of {', '.join(REPLIES)}",
                )
                continue
            if match not in MATCHES:
                rep.error(
                    entry.line_of("match"),
                    f"intent {intent_id!r}: match must be one of {', '.join(MATCHES)}",
                )
                continue
            seen.add(intent_id)
            defs.append(IntentDef(intent_id, str(reply), str(match)))
        return tuple(defs), confidence

    def texts(
        self, lang: str, known: set[str]
    ) -> tuple[
        dict[str, tuple[str, ...]], tuple[str, ...], dict[str, tuple[str, ...]], dict[str, str]
    ]:
        path = self.root / "text" / lang / FILE_NAME
        rep = self.reporter(path)
        data = self.read(path, rep)
        if data is None:
            return {}, (), {}, {}
        rep.keys(data, FILE_NAME, {"draft", "intents", "filler", "answers", "equivalents"})
        if not isinstance(data.get("draft", False), bool):
            rep.error(data.line_of("draft"), "draft: must be true or false")
        self.drafts[lang] = data.get("draft") is True
        phrases: dict[str, tuple[str, ...]] = {}
        section = data.get("intents")
        if isinstance(section, LineDict):
            for intent_id in section:
                if intent_id not in known:
                    rep.error(
                        section.line_of(intent_id),
                        f"phrases for unknown intent {intent_id!r}",
                    )
                    continue
                sub = LineDict({intent_id: section[intent_id]})
                sub.line, sub.key_lines = section.line, {intent_id: section.line_of(intent_id)}
                phrases[intent_id] = self.words(rep, sub, intent_id, f"intent {intent_id!r}")
        elif section is not None:
            rep.error(data.line_of("intents"), "intents: must map intent ids to phrase lists")
        filler = self.words(rep, data, "filler", "filler")
        answers: dict[str, tuple[str, ...]] = {}
        section = data.get("answers")
        if isinstance(section, LineDict):
            # Unquoted yes/no keys read as booleans in YAML; take them back as the words.
            for key, word in (("True", "yes"), ("False", "no")):
                if key in section and word not in section:
                    section[word] = section.pop(key)
                    section.key_lines[word] = section.key_lines.get(key, section.line)
            rep.keys(section, "answers", set(ANSWERS))
            for answer in ANSWERS:
                answers[answer] = self.words(rep, section, answer, f"answers {answer!r}")
        elif section is not None:
            rep.error(data.line_of("answers"), "answers: must have yes and no lists")
        equivalents: dict[str, str] = {}
        section = data.get("equivalents")
        if isinstance(section, LineDict):
            for word, target in section.items():
                key = self.rules.normalize(str(word))
                value = self.rules.normalize(str(target)) if isinstance(target, str) else ""
                if " " in key or not key or not value:
                    rep.error(
                        section.line_of(word),
                        f"equivalents: {word!r} must be one word mapped to words the pack uses",
                    )
                    continue
                equivalents[key] = value
        elif section is not None:
            rep.error(data.line_of("equivalents"), "equivalents: must map words to words")
        return phrases, filler, answers, equivalents


def collisions(
    intents: Intents, texts: Mapping[str, Mapping[str, str]], root: Path
) -> list[Problem]:
    """Warnings for one-word phrases of `anywhere` intents that are common words of another
    language's answers but not of their own ("gun" is Azerbaijani "gün", day, once folded):
    such a message would be taken for an emergency. `texts`: language -> item -> its text."""
    rules = intents.rules
    tokens = {
        lang: [set(rules.normalize(t).split()) for t in by_item.values()]
        for lang, by_item in texts.items()
    }
    problems: list[Problem] = []
    for lang, by_intent in intents.phrases.items():
        rep = Reporter(relative(root / "text" / lang / FILE_NAME, root), problems)
        for intent_id, phrases in by_intent.items():
            definition = intents.get(intent_id)
            if definition is None or definition.match != "anywhere":
                continue
            for phrase in phrases:
                patterns = parse_phrase(phrase, rules)
                if len(patterns) != 1:
                    continue
                word, prefix = patterns[0].word, patterns[0].prefix

                def uses(words: set[str], word: str = word, prefix: bool = prefix) -> bool:
                    return any(w.startswith(word) for w in words) if prefix else word in words

                if any(uses(words) for words in tokens.get(lang, ())):
                    continue  # the same word in its own language too ("operator"): a cognate
                for other, item_tokens in tokens.items():
                    if other == lang:
                        continue
                    hits = sum(1 for words in item_tokens if uses(words))
                    if hits >= 2:
                        rep.warning(
                            0,
                            f"intent {intent_id!r}: the phrase {phrase!r} is also a word "
                            f"of {hits} {other} answers: messages with it would be taken as "
                            f"{intent_id}; add a second word to the phrase",
                        )
    return problems


def load_intents(
    root: Path, languages: Sequence[str], default_language: str, rules: TextRules | None = None
) -> tuple[Intents, list[Problem], dict[str, tuple[int, int, int]]]:
    """The pack's intents, their problems (file and line), and per-language coverage
    (intents with phrases, intents, of them in a draft file). `rules`: the pack's text
    rules (the served pack's when not given)."""
    rules = rules or served()
    loader = _Loader(Path(root), rules)
    defs, confidence = loader.structure()
    known = {d.id for d in defs}
    phrases: dict[str, dict[str, tuple[str, ...]]] = {}
    filler: dict[str, tuple[str, ...]] = {}
    answers: dict[str, dict[str, tuple[str, ...]]] = {}
    equivalents: dict[str, dict[str, str]] = {}
    coverage: dict[str, tuple[int, int, int]] = {}
    for lang in languages:
        p, f, a, e = loader.texts(lang, known)
        phrases[lang], filler[lang], answers[lang], equivalents[lang] = p, f, a, e
        done = sum(1 for d in defs if p.get(d.id))
        coverage[lang] = (done, len(defs), done if loader.drafts.get(lang) else 0)
    default_rep = loader.reporter(root / "text" / default_language / FILE_NAME)
    for definition in defs:
        if not phrases.get(default_language, {}).get(definition.id):
            default_rep.warning(
                0,
                f"intent {definition.id!r} has no phrases in the default language "
                f"{default_language!r}",
            )
    intents = Intents(defs, confidence, phrases, filler, answers, equivalents, rules)
    return intents, loader.problems, coverage
