"""Full-text search over FAQ items: SQLite FTS5 in memory, typo- and layout-tolerant."""

from __future__ import annotations

import dataclasses
import logging
import math
import sqlite3
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.content.model import ItemText, Pack
from bot.content.normalize import served
from bot.content.textrules import TextRules

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 10
# No word in the pack's languages is this long; a longer "word" is pasted noise, and it is
# cut so that every later step (prefix lookups, FTS terms) stays small.
MAX_TOKEN_CHARS = 40
# Typo candidates come from all deletions of up to two characters: C(n, 2) strings for a
# word of n letters. At 24 letters that is 300 lookups; at 150 it was 11,000 strings of
# 150 characters and about a second of CPU on the event loop. Longer words are matched
# exactly or by prefix only.
MAX_TYPO_CHARS = 24
# Candidates per query token from the typo index: enough for a misspelling, few enough
# that a long pasted letter stays a short FTS query.
MAX_EXPANSIONS = 6
# Rows ranked per FTS query at most (see SearchIndex._run).
RANK_CAP = 300
# Words of a long question used when no item has all of them.
ANY_WORDS = 4
_MAX_ROWID = 2**62
# Words this long are also matched by their first letters in the any-word stage, so other
# forms of them count ("отказали" finds "отказ", "qayıtmışam" finds "qayıtm..."): languages
# whose language.yaml says `stemming: true` add endings that neither typo tolerance nor
# prefixes cover.
STEM_FROM = 7
STEM_MIN = 5
# How much a word found only in an answer's body counts towards confidence, against one in
# its title, keywords or synonyms (a long answer mentions many words in passing).
BODY_ONLY = 0.5
# ... and a word matched only through a typo correction ("vize" -> "size") counts this much.
TYPO_ONLY = 0.8
# bm25 column weights: item_id (unindexed), title, keywords+synonyms, answer.
_WEIGHTS = (0.0, 10.0, 8.0, 1.0)


@dataclass(frozen=True)
class Hit:
    """A search result: the item, its relevance (higher is better), the text's language.

    `confidence` is the share of the question's meaningful words the item contains (1.0
    when it has all of them, as typed or one typo away); the caller decides what is weak.
    """

    item_id: str
    score: float
    lang: str
    confidence: float = 1.0


@dataclass(frozen=True)
class _Candidate:
    """An item a stage found, with the indices of the query words it has."""

    item_id: str
    score: float
    lang: str
    words: tuple[str, ...]
    matched: frozenset[int]


def _max_distance(token: str) -> int:
    if len(token) >= 8:
        return 2
    if len(token) >= 4:
        return 1
    return 0


def _deletes(term: str, depth: int) -> set[str]:
    """All strings made by deleting up to `depth` characters of `term`."""
    out = {term}
    layer = {term}
    for _ in range(depth):
        # One more deletion of each string of the last layer (slices: ~4x faster than
        # joining the kept characters of every combination of positions).
        layer = {w[:i] + w[i + 1 :] for w in layer if len(w) > 1 for i in range(len(w))}
        out |= layer
    return out


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions; returns limit+1 once it exceeds limit.

    Only the band of cells within `limit` of the diagonal is computed: a path that leaves
    it costs more than `limit` anyway, so cells outside count as limit+1."""
    n, m = len(a), len(b)
    if abs(n - m) > limit:
        return limit + 1
    over = limit + 1
    prev2: list[int] = []
    prev = [j if j <= limit else over for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [over] * (m + 1)
        if i <= limit:
            cur[0] = i
        lo, hi = max(1, i - limit), min(m, i + limit)
        ai, best = a[i - 1], over if i > limit else i
        for j in range(lo, hi + 1):
            bj = b[j - 1]
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai != bj))
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value if value < over else over
            if value < best:
                best = value
        if best > limit:
            return over
        prev2, prev = prev, cur
    return prev[m] if prev[m] <= limit else over


class _Vocabulary:
    """One language's indexed words with a symmetric-delete index for typo lookups."""

    def __init__(self, doc_freq: dict[str, int], n_docs: int = 1) -> None:
        self.doc_freq = doc_freq
        self.n_docs = max(1, n_docs)
        self.sorted_terms = sorted(doc_freq)
        self.deletes: dict[str, list[str]] = {}
        for term in doc_freq:
            if len(term) < 3 or term.isdigit():
                continue
            # Distance 2 is allowed only for queries of 8+ letters, so only terms of 6+
            # letters can be that far from one.
            for variant in _deletes(term, 2 if len(term) >= 6 else 1):
                self.deletes.setdefault(variant, []).append(term)

    def known(self, token: str) -> bool:
        """Whether some indexed word is the token or starts with it."""
        if token in self.doc_freq:
            return True
        i = bisect_left(self.sorted_terms, token)
        return i < len(self.sorted_terms) and self.sorted_terms[i].startswith(token)

    def rarity(self, token: str, expansions: Sequence[str] = ()) -> float:
        """How specific a word is here: log(1 + items / items that have it); 0 if none has it."""
        df = self.doc_freq.get(token)
        if df is None:
            i = bisect_left(self.sorted_terms, token)
            if i < len(self.sorted_terms) and self.sorted_terms[i].startswith(token):
                df = self.doc_freq[self.sorted_terms[i]]
            elif expansions:
                df = self.doc_freq.get(expansions[0])
        return math.log(1 + self.n_docs / df) if df else 0.0

    def near(self, token: str) -> list[str]:
        """Indexed words within the token's edit-distance budget, closest and commonest first."""
        limit = _max_distance(token)
        if limit == 0 or token.isdigit() or len(token) > MAX_TYPO_CHARS:
            return []
        found: dict[str, int] = {}
        for variant in _deletes(token, limit):
            for term in self.deletes.get(variant, ()):
                if term != token and term not in found:
                    distance = _osa_distance(token, term, limit)
                    if distance <= limit:
                        found[term] = distance
        ranked = sorted(found, key=lambda t: (found[t], -self.doc_freq.get(t, 0), t))
        return ranked[:MAX_EXPANSIONS]


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _stem(token: str, rules: TextRules) -> str | None:
    """The start of a long word that its other forms share ("отказали" -> "отказ"), or None."""
    if len(token) < STEM_FROM or token.isdigit() or not rules.stems(token):
        # Only words of languages with endings (Persian words are short: a cut one is vague).
        return None
    return token[: max(STEM_MIN, len(token) - 3)]


def _group(token: str, expansions: Sequence[str], prefix: bool, stem: str | None = None) -> str:
    # A prefix phrase also matches the word itself, so it replaces the exact one.
    if stem:
        parts = [_quote(stem) + " *"]
    else:
        parts = [_quote(token) + (" *" if prefix and len(token) >= 3 else "")]
    parts.extend(_quote(term) for term in expansions)
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def query_tokens(query: str, rules: TextRules | None = None) -> list[str]:
    """The words of a query worth searching for: normalised, deduplicated, no stop-words
    (by the given rules, else the served pack's)."""
    rules = rules or served()
    stop_words = rules.stop_words
    words: list[str] = []
    for word in rules.normalize(query[:MAX_QUERY_CHARS]).split():
        word = word[:MAX_TOKEN_CHARS]
        if (len(word) >= 2 or word.isdigit()) and word not in stop_words and word not in words:
            words.append(word)
    return words[:MAX_QUERY_TOKENS]


def _text_fields(text: ItemText, seen: dict[str, str], rules: TextRules) -> tuple[str, str, str]:
    """Title, keywords+synonyms and answer, normalised; `seen` reuses repeated strings."""
    fields = (text.title, " ".join((*text.keywords, *text.synonyms)), text.answer)
    out: list[str] = []
    for field in fields:
        if field not in seen:
            seen[field] = rules.normalize(field)
        out.append(seen[field])
    return out[0], out[1], out[2]


class SearchIndex:
    """FTS5 tables per language in one in-memory database; build anew on every reload."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        tables: dict[str, str],
        vocab: dict[str, _Vocabulary],
        focus: dict[str, dict[str, str]] | None = None,
        rowids: dict[str, dict[str, int]] | None = None,
        rules: TextRules | None = None,
    ) -> None:
        self._conn = conn
        self._tables = tables
        self._vocab = vocab
        # Normalised title + keywords + synonyms per language and item, for confidence.
        self._focus = focus or {}
        self._rowids = rowids or {}
        # How the pack's languages are written: the texts were normalised with these.
        self.rules = rules or served()
        self._lock = threading.Lock()

    @classmethod
    def build(cls, pack: Pack) -> SearchIndex:
        """Index every language's item texts (title, keywords+synonyms, answer), normalised
        with the pack's text rules."""
        rules = pack.text_rules
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        tables: dict[str, str] = {}
        vocab: dict[str, _Vocabulary] = {}
        order = {
            item.id: (item.importance if item.importance is not None else 1_000_000, pos)
            for pos, item in enumerate(pack.items.values())
        }
        seen: dict[str, str] = {}
        focus: dict[str, dict[str, str]] = {}
        rowids: dict[str, dict[str, int]] = {}
        for n, (lang, texts) in enumerate(pack.texts.items()):
            if not texts:
                continue
            table = f"fts_{n}"
            conn.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                "item_id UNINDEXED, title, keys, answer,"
                " tokenize = 'unicode61 remove_diacritics 0')"
            )
            # Most important items first: capped ranking (see _run) keeps the first rows.
            ordered = sorted(texts, key=lambda i: order.get(i, (1_000_000, len(order))))
            rows = [(item_id, *_text_fields(texts[item_id], seen, rules)) for item_id in ordered]
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)
            doc_freq: dict[str, int] = {}
            for _item_id, *fields in rows:
                for word in set(" ".join(fields).split()):
                    doc_freq[word] = doc_freq.get(word, 0) + 1
            tables[lang] = table
            vocab[lang] = _Vocabulary(doc_freq, len(rows))
            focus[lang] = {item_id: f"{title} {keys}" for item_id, title, keys, _answer in rows}
            rowids[lang] = {
                item_id: rowid
                for rowid, item_id in conn.execute(f"SELECT rowid, item_id FROM {table}")
            }
        conn.commit()
        return cls(conn, tables, vocab, focus, rowids, rules)

    def languages(self) -> list[str]:
        """Languages that have an index."""
        return list(self._tables)

    def _run(self, lang: str, match: str, limit: int) -> list[tuple[str, float]]:
        """(item_id, score) of the best `limit` rows for one MATCH expression."""
        table = self._tables[lang]
        weights = ", ".join(str(w) for w in _WEIGHTS)
        rank_sql = (
            f"SELECT item_id, bm25({table}, {weights}) AS s FROM {table}"
            f" WHERE {table} MATCH ? AND rowid <= ? ORDER BY s LIMIT ?"
        )
        # bm25 costs about a microsecond per matching row; a word in thousands of items
        # says little anyway, so rank only the first RANK_CAP matches. Rows are stored
        # most important first, so those are the ones kept.
        cap_sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?"
        try:
            with self._lock:
                last = self._conn.execute(cap_sql, (match, RANK_CAP - 1)).fetchone()
                bound = last[0] if last is not None else _MAX_ROWID
                rows = self._conn.execute(rank_sql, (match, bound, limit)).fetchall()
        except sqlite3.OperationalError:
            # Tokens are quoted, so this should not happen; a search must never crash a chat.
            log.warning("FTS query failed (the query is not logged: it is what a person typed)")
            return []
        return [(item_id, -score) for item_id, score in rows]

    def search(
        self,
        query: str,
        lang: str,
        fallbacks: Sequence[str] = (),
        limit: int = 5,
        *,
        ignore: Callable[[str], bool] | None = None,
        expand: Callable[[list[str]], list[str]] | None = None,
    ) -> list[Hit]:
        """Best items for a query: exact words first, then typo-tolerant, then any word.

        Within each stage the person's language comes first, then the fallbacks; text typed
        in the wrong keyboard layout is tried converted after the text as typed. The
        any-word stage looks at every language of the chain at once, so a question that
        mixes languages ("work permit нужен?") is matched word by word wherever each word
        is. If none of those languages has a match, the other languages are tried (a person
        may write in a language other than the one they chose).

        `ignore` drops further words that carry no meaning (the pack's filler words) and
        `expand` replaces words with the pack's equivalents, both before searching.
        """
        if limit <= 0 or not query:
            return []
        chain = [code for code in dict.fromkeys((lang, *fallbacks)) if code in self._tables]
        rules = self.rules
        variants = [query_tokens(query, rules)]
        # Typed with another keyboard layout active, or in Latin letters for a language of
        # the chain that says how it is transliterated (Russian: "vid na zhitelstvo").
        converted: list[str | None] = [*rules.layout_variants(query[:MAX_QUERY_CHARS])]
        converted += [rules.transliterate(query[:MAX_QUERY_CHARS], code) for code in chain]
        for text in converted:
            if text is not None:
                other = query_tokens(text, rules)
                if other and other not in variants:
                    variants.append(other)
        if ignore is not None:
            variants = [[w for w in v if not ignore(w)] for v in variants]
        if expand is not None:
            variants = [list(dict.fromkeys(expand(v))) for v in variants]
        variants = [v for v in variants if v]
        if not variants:
            return []
        hits = self._search(variants, chain, ("exact", "typo", "any"), limit)
        if not hits:
            rest = [code for code in self._tables if code not in chain]
            hits = self._search(variants, rest, ("exact",), limit)
        return hits

    def _search(
        self, variants: list[list[str]], chain: list[str], stages: Sequence[str], limit: int
    ) -> list[Hit]:
        found: dict[str, _Candidate] = {}
        near: dict[tuple[str, str], list[str]] = {}
        done: set[tuple[str, str]] = set()
        for stage in stages:
            for words in variants:
                if stage == "any":
                    candidates = self._any(words, chain, near, limit + len(found))
                else:
                    candidates = []
                    every = frozenset(range(len(words)))
                    for code in chain:
                        match = self._match(words, code, stage, near)
                        if match is None or (code, match) in done:
                            continue
                        done.add((code, match))
                        candidates += [
                            _Candidate(item_id, score, code, tuple(words), every)
                            for item_id, score in self._run(code, match, limit + len(found))
                        ]
                for candidate in candidates:
                    if candidate.item_id not in found:
                        found[candidate.item_id] = candidate
                if len(found) >= limit:
                    return self._ranked(found, chain, near, limit)
        return self._ranked(found, chain, near, limit)

    def _ranked(
        self,
        found: dict[str, _Candidate],
        chain: list[str],
        near: dict[tuple[str, str], list[str]],
        limit: int,
    ) -> list[Hit]:
        """Hits with their confidence, most confident first (stage order breaks ties)."""
        scored = [(c, *self._confidence(c, chain, near)) for c in found.values()]
        # Ranked by confidence plus relevance (where rare words count more: "школу" says more
        # than "после"), then the stage that found them; on the query sets in tests/fixtures
        # and a private held-out set the sum ranks better than either alone.
        order = {c.item_id: n for n, c in enumerate(found.values())}
        scored.sort(key=lambda t: (-round(t[1] + t[2], 3), order[t[0].item_id]))
        return [
            Hit(c.item_id, c.score, c.lang, confidence) for c, confidence, _rel in scored[:limit]
        ]

    def _confidence(
        self, candidate: _Candidate, chain: list[str], near: dict[tuple[str, str], list[str]]
    ) -> tuple[float, float]:
        """(confidence, relevance) of an item for the question's words, each 0 to 1.

        Confidence: the share of the words the item has, each word the same. A word counts
        fully if the item's title, keywords or synonyms have it, BODY_ONLY if only its answer
        does, TYPO_ONLY less if only a near spelling matched; a word no language of the chain
        knows counts against it too (it may be what the question is about: "weather").
        Relevance: the same with each word weighted by how rare it is in the pack.
        """
        languages = chain or [candidate.lang]
        vocabs = [(code, self._vocab[code]) for code in languages if code in self._vocab]
        focus_words = [
            (code, set(text.split()))
            for code in languages
            if (text := self._focus.get(code, {}).get(candidate.item_id))
        ]
        total = got = weights = weighted = 0.0
        for i, word in enumerate(candidate.words):
            rarity = max((v.rarity(word, near.get((c, word), ())) for c, v in vocabs), default=0.0)
            weight = rarity or 1.0
            total += 1.0
            weights += weight
            if i not in candidate.matched:
                continue
            exact = any(v.known(word) for _c, v in vocabs)
            stem = _stem(word, self.rules)
            in_focus = any(
                word in words
                or any(e in words for e in near.get((code, word), ()))
                or (len(word) >= 3 and any(w.startswith(word) for w in words))
                or (stem is not None and any(w.startswith(stem) for w in words))
                for code, words in focus_words
            )
            share = (1.0 if in_focus else BODY_ONLY) * (1.0 if exact else TYPO_ONLY)
            got += share
            weighted += share * weight
        return (got / total if total else 0.0), (weighted / weights if weights else 0.0)

    def _any(
        self, words: list[str], chain: list[str], near: dict[tuple[str, str], list[str]], limit: int
    ) -> list[_Candidate]:
        """Items with some of the words, in any language of the chain, most words first.

        A word counts for an item if any of the chain's texts of that item has it, so a
        question mixing two languages is covered by the item whose texts have both halves.
        """
        if len(words) < 2:
            return []
        covered: dict[str, set[int]] = {}
        best: dict[str, tuple[int, float, str]] = {}  # item -> (chain position, bm25, lang)
        for position, code in enumerate(chain):
            vocab = self._vocab[code]
            groups: dict[int, str] = {}
            for i, word in enumerate(words):
                if (code, word) not in near:
                    near[(code, word)] = vocab.near(word)
                stem = _stem(word, self.rules)
                if vocab.known(word) or near[(code, word)] or (stem and vocab.known(stem)):
                    groups[i] = _group(word, near[(code, word)], word not in vocab.doc_freq, stem)
            # The rarest words carry the meaning, and each extra common word only adds rows.
            chosen = sorted(groups, key=lambda i: vocab.doc_freq.get(words[i], 0))[:ANY_WORDS]
            if not chosen:
                continue
            rows = self._run(
                code, " OR ".join(groups[i] for i in sorted(chosen)), max(limit * 6, 30)
            )
            for item_id, score in rows:
                if item_id not in best:
                    best[item_id] = (position, score, code)
            for i, item_id in self._which_words(code, [(i, groups[i]) for i in chosen], rows):
                covered.setdefault(item_id, set()).add(i)
        ranked = sorted(covered, key=lambda i: (-len(covered[i]), best[i][0], -best[i][1], i))
        return [
            _Candidate(
                item_id,
                best[item_id][1],
                best[item_id][2],
                tuple(words),
                frozenset(covered[item_id]),
            )
            for item_id in ranked[:limit]
        ]

    def _which_words(
        self, lang: str, groups: list[tuple[int, str]], rows: list[tuple[str, float]]
    ) -> list[tuple[int, str]]:
        """(word index, item id) for each of the rows' items that has that word group."""
        if len(groups) == 1:
            return [(groups[0][0], item_id) for item_id, _ in rows]
        table = self._tables[lang]
        # By rowid: FTS5 seeks each word's postings to those rows instead of reading them all.
        rowids = self._rowids.get(lang, {})
        ids = [rowids[item_id] for item_id, _ in rows if item_id in rowids]
        marks = ",".join("?" * len(ids))
        sql = f"SELECT item_id FROM {table} WHERE {table} MATCH ? AND rowid IN ({marks})"
        out: list[tuple[int, str]] = []
        with self._lock:
            for index, group in groups:
                try:
                    out += [
                        (index, item_id) for (item_id,) in self._conn.execute(sql, (group, *ids))
                    ]
                except sqlite3.OperationalError:
                    log.warning(
                        "FTS query failed (the query is not logged: it is what a person typed)"
                    )
        return out

    def _match(
        self, words: list[str], lang: str, stage: str, near: dict[tuple[str, str], list[str]]
    ) -> str | None:
        """The FTS5 MATCH expression for one stage, or None if the stage adds nothing."""
        vocab = self._vocab[lang]
        # Words no indexed word equals or starts with cannot match: leaving them out
        # (or skipping the query) saves an FTS query for text in another language or
        # another keyboard layout.
        known = [vocab.known(w) for w in words]
        # Prefix matching is several times dearer than a word lookup, so it is used only
        # for words the index does not have whole (a word cut short, or "qeydiyyat" where
        # the texts say "qeydiyyatı"); near misses of whole words come from the typo stage.
        if stage == "exact":
            if not all(known):
                return None
            return " AND ".join(_group(w, (), w not in vocab.doc_freq) for w in words)
        expansions = []
        for word in words:
            if (lang, word) not in near:
                near[(lang, word)] = vocab.near(word)
            expansions.append(near[(lang, word)])
        usable = [i for i in range(len(words)) if known[i] or expansions[i]]
        groups = {
            i: _group(words[i], expansions[i], words[i] not in vocab.doc_freq) for i in usable
        }
        if len(usable) < len(words):
            return None
        return " AND ".join(groups[i] for i in usable)

    def close(self) -> None:
        """Free the in-memory database."""
        self._conn.close()


def scaled_pack(pack: Pack, n_items: int) -> Pack:
    """A copy of `pack` with `n_items` items, made by repeating its items (for benchmarks)."""
    originals = list(pack.items.values())
    if not originals:
        raise ValueError("the pack has no items to repeat")
    items = {}
    texts: dict[str, dict[str, ItemText]] = {lang: {} for lang in pack.texts}
    for i in range(n_items):
        item = originals[i % len(originals)]
        copy_id = item.id if i < len(originals) else f"{item.id}.x{i}"
        items[copy_id] = dataclasses.replace(item, id=copy_id)
        for lang, lang_texts in pack.texts.items():
            text = lang_texts.get(item.id)
            if text is not None:
                title = text.title if copy_id == item.id else f"{text.title} {i}"
                texts[lang][copy_id] = dataclasses.replace(text, title=title)
    return dataclasses.replace(pack, items=items, texts=texts, version=f"{pack.version}-x{n_items}")
