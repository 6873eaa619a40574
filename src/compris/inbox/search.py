"""Word search over the inbox (issue 22): what ``q`` finds, as SQL conditions indexed on both databases.

The folded copies (``compris.kit.textfold``: no accents, lower case) of the messages' text and the contacts' names
are indexed word by word, kept in step by the database itself in the same transaction as the write (migration
``o1_search``). A case's subject is the first line of its first message: it is found through that message.

* PostgreSQL: ``messages.search_vector``, a ``tsvector`` set by a trigger from ``search_text``, and an expression
  index on ``contacts.search_name``, both GIN. A text's vector is the union of its ``simple`` words (every word as
  written, stop words, numbers, e-mail addresses), its French stems and its English stems (:data:`PG_VECTOR`): a
  message's language is a guess and the query's is unknown, so each query word is looked for under its three
  forms (``annulation`` finds "annuler" and "annulé", ``cancelled`` finds "cancel"). The vector also holds each
  pair of adjacent words (``'customer service'``, :data:`PG_PAIRS`, migration ``o3_search_pairs``): a phrase is
  found by its pairs, lexemes of the index, then its words' order (:data:`PG_PHRASE`), not by every message
  holding its words anywhere.
* SQLite: FTS5 tables (``messages_fts``, ``contacts_fts``) over the same folded columns, kept by triggers; the
  ``porter`` tokenizer stems English and, roughly, French endings (plurals, ``-er``/``-ation``/``-é``).

A query is a list of words and ``"quoted phrases"``, all of which must be found (in one message, or in the
name); a phrase's words are looked for as written (accents and case still ignored), in order. Nothing the user
types is query syntax: ``OR``, ``-``, ``*``, quotes are words or separators, never operators (each word goes
through ``plainto_tsquery`` / a quoted FTS5 string).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.types import Boolean, Integer

from compris.kit.textfold import fold
from compris.models import Message
from compris.models.inbox import CASES_EXPRESSION_INDEXES

__all__ = ["FTS_TABLES", "MATCH_CAP", "PG_FUNCTIONS", "PG_VECTOR", "SCHEMA_NAMES", "Terms", "forget_erased", "id_in",
           "include_object", "matches", "message_cases", "newest_message_cases", "range_key", "range_query", "terms"]

#: the PostgreSQL function giving a folded text's search vector (simple ∪ French stems ∪ English stems)
PG_VECTOR = "compris_search_vector"
#: the text search configurations a word is looked for in (the order of :data:`PG_VECTOR`'s union)
PG_CONFIGS = ("simple", "french", "english")
#: SQLite: (FTS5 table, content table, folded column, tokenizer)
FTS_TABLES = (
    ("messages_fts", "messages", "search_text", "porter unicode61 remove_diacritics 2"),
    ("contacts_fts", "contacts", "search_name", "unicode61 remove_diacritics 2"),
)
#: the pairs of adjacent words of a folded text (in :data:`PG_VECTOR`), and a phrase's query (its pairs, its order)
PG_PAIRS = "compris_search_pairs"
PG_PHRASE = "compris_search_phrase"
PG_FUNCTIONS = (PG_VECTOR, PG_PAIRS, PG_PHRASE, "compris_messages_search_vector")
#: the schema objects the migration makes outside the models (autogenerate leaves them alone)
SCHEMA_NAMES = frozenset({
    "search_vector", "ix_messages_search", "ix_contacts_search", "ix_identities_handle_lower",
    "ix_identities_name_lower", "ix_identities_platform_id_lower", "ix_identities_platform_id",
    *(t for t, *_ in FTS_TABLES),
    *(f"{t}_{suffix}" for t, *_ in FTS_TABLES for suffix in ("data", "idx", "content", "docsize", "config")),
})
#: a search looks at most at this many matching messages, the newest
MATCH_CAP = 1000
#: PostgreSQL: the newest messages walked first, whatever the words (their share there decides the rest)
WINDOW = 5_000
#: what a match read from the GIN index costs (a heap page at random), counted in rows walked in key order
INDEX_COST = 1.5
#: at most this many words and phrases are looked for (the rest of a long query is ignored)
MAX_TERMS = 8
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Terms:
    """A query's words and phrases, folded; each item is one word or a phrase (several words in order)."""

    items: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.items)

    def fts5(self) -> str:
        """The FTS5 query: each word or phrase a quoted string (no operator survives), all required."""
        return " ".join('"' + " ".join(words).replace('"', '""') + '"' for words in self.items)


def terms(q: str) -> Terms:
    """The words and ``"quoted phrases"`` of ``q``, folded (accents, case and punctuation gone); words without a
    letter or a digit (``-``, ``*``, ``#``) are dropped."""
    items: list[tuple[str, ...]] = []
    for i, part in enumerate(q.split('"')):
        words = tuple(w for w in fold(part).split() if _WORD.search(w))
        if not words:
            continue
        if i % 2 == 1 and len(words) > 1:  # inside quotes: a phrase
            items.append(words)
        else:
            items.extend((w,) for w in words)
    return Terms(tuple(items[:MAX_TERMS]))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's autogenerate leaves alone what ``o1_search`` makes outside the models (FTS tables, the vector
    column, expression indexes), and the expression indexes of the inbox's sorts (``o2_inbox_indexes``)."""
    return name not in SCHEMA_NAMES and name not in CASES_EXPRESSION_INDEXES


class _Match(ColumnElement[bool]):
    """``<table's folded column> matches <terms>``: compiled for each database (see the module's docstring)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, table: str, id_column: Any, terms: Terms) -> None:
        self.table = table
        self.id_column = id_column
        self.terms = terms


def matches(table: str, id_column: Any, found: Terms) -> ColumnElement[bool]:
    """The rows of ``table`` (``messages`` or ``contacts``; ``id_column`` its id) whose folded text holds
    every word and phrase of ``found``."""
    if not found:
        return false()
    return _Match(table, id_column, found)


def _tsquery(config: str, words: tuple[str, ...], n: int) -> ColumnElement[Any]:
    value: Any = bindparam(f"search_{n}", " ".join(words), unique=True)
    if len(words) > 1:  # a phrase: its pairs of adjacent words (lexemes of the vector), then their order
        phrase: ColumnElement[Any] = getattr(func, PG_PHRASE)(value)
        return phrase
    result: ColumnElement[Any] = func.plainto_tsquery(literal_column(f"'{config}'::regconfig"), value)
    return result


def _pg_query(found: Terms, configs: tuple[str, ...]) -> ColumnElement[Any]:
    """``(w1 in any form) && (w2 in any form) ...``: each word's simple, French and English forms OR-ed."""
    n = 0
    anded: ColumnElement[Any] | None = None
    for words in found.items:
        ored: ColumnElement[Any] | None = None
        # a phrase: its words as written, in order (the vector's parts follow one another, so a stemmed phrase
        # could straddle two of them)
        for config in configs if len(words) == 1 else configs[:1]:
            n += 1
            one = _tsquery(config, words, n)
            ored = one if ored is None else ored.op("||")(one)
        assert ored is not None
        anded = ored if anded is None else anded.op("&&")(ored)
    assert anded is not None
    return anded


@compiles(_Match, "postgresql")
def _match_pg(element: _Match, compiler: Any, **kw: Any) -> str:
    if element.table == "messages":
        vector: ColumnElement[Any] = literal_column("messages.search_vector")
        configs: tuple[str, ...] = PG_CONFIGS
    else:  # a name: its words as written
        vector = func.to_tsvector(literal_column("'simple'::regconfig"),
                                  func.coalesce(literal_column("contacts.search_name"), ""))
        configs = ("simple",)
    condition = vector.op("@@")(_pg_query(element.terms, configs))
    return str(compiler.process(condition, **kw))


@compiles(_Match, "sqlite")
def _match_sqlite(element: _Match, compiler: Any, **kw: Any) -> str:
    fts = f"{element.table}_fts"
    inner: Select[Any] = (select(literal_column("rowid")).select_from(text(fts))
             .where(literal_column(fts).op("MATCH")(bindparam("fts", element.terms.fts5(), unique=True))))
    return str(compiler.process(element.id_column.in_(inner.scalar_subquery()), **kw))


@compiles(_Match)
def _match_other(element: _Match, compiler: Any, **kw: Any) -> str:  # any other database: a folded LIKE per word
    column = "messages.search_text" if element.table == "messages" else "contacts.search_name"
    likes = [literal_column(column).like(f"%{' '.join(w)}%") for w in element.terms.items]
    return str(compiler.process(and_(*likes), **kw))


def forget_erased(session: Session) -> None:
    """After text was erased (an erasure, retention, a message its author deleted): on SQLite, FTS5 keeps a
    removed row's words in its index segments until they are merged, so the indexes are merged (``optimize``:
    the whole index rewritten, which is why it runs once per erasure, not per row) and nothing of the text stays
    in the database's tables. PostgreSQL: nothing to do (the vector is in the row, rewritten with the text)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()
    for fts, *_ in FTS_TABLES:
        session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('optimize')"))


class _IdIn(ColumnElement[bool]):
    """``column`` is one of ``ids``, with the ids as one parameter (an array on PostgreSQL, a JSON list on
    SQLite) rather than thousands of them."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, column: Any, ids: list[int]) -> None:
        self.column = column
        self.ids = ids


def id_in(column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids`` for a long list of ids (the cases a search found)."""
    return _IdIn(column, ids) if ids else false()


@compiles(_IdIn, "postgresql")
def _id_in_pg(element: _IdIn, compiler: Any, **kw: Any) -> str:
    ids = bindparam("ids", element.ids, type_=postgresql.ARRAY(Integer), unique=True)
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(ids, **kw)})"


@compiles(_IdIn)
def _id_in_other(element: _IdIn, compiler: Any, **kw: Any) -> str:
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("ids", json.dumps(element.ids), unique=True)))
    return str(compiler.process(element.column.in_(listed.scalar_subquery()), **kw))


def message_cases(workspace_id: int, found: Terms) -> Select[Any]:
    """The cases of the newest :data:`MATCH_CAP` messages holding every word of ``found`` (one message holds them
    all). The cap bounds a common word's cost (at ten million messages "remboursement" is in hundreds of
    thousands): PostgreSQL then walks the messages newest first and stops at the cap, while a rare word is read
    from the index; older matches of a common word are reached by adding a word."""
    newest = (select(Message.case_id).where(Message.workspace_id == workspace_id,
                                            matches("messages", Message.id, found))
              .order_by(Message.id.desc()).limit(MATCH_CAP).subquery())
    return select(newest.c.case_id)


def newest_message_cases(session: Session, workspace_id: int, found: Terms) -> list[int]:
    """PostgreSQL: :func:`message_cases`, with a plan that does not depend on the planner's estimate of the words'
    frequency (for a word outside the most common ones it is a guess, and for a phrase of two frequent words it
    multiplies their frequencies as if they were unrelated: the wrong plan costs seconds at ten million messages,
    walking the whole table for a rare word or fetching every match of a common one).

    The newest :data:`WINDOW` messages are walked first (a bounded primary-key range). Enough matches there (a
    common word): done. Otherwise the share found there tells what the rest would cost in each of three ways
    (:func:`_cheapest`), counted in rows walked:

    * **walk** on, newest first, until :data:`MATCH_CAP` match: ``need / share`` rows;
    * read **every** match from the GIN index and keep the newest: each candidate the index gives costs
      :data:`INDEX_COST` (a heap page at random);
    * read from the index **by ranges of the key**, newest first: the index's candidates in the range just below
      (PostgreSQL intersects the index's bitmap with the key range's before reading any row), the range sized
      from the share seen so far to hold the matches still needed (:data:`RANGE_MARGIN` wider), then the next
      range, the share re-measured on everything seen.

    A phrase is looked for by its pairs of adjacent words, lexemes of the index (migration ``o3_search_pairs``),
    so the index's candidates are its matches, as for a word. A key range is read through one condition, the
    word or pair with the fewest matches among the newest (:func:`range_key`), the whole query checked on its
    candidates. The worst case, a word or phrase of middling frequency, becomes a key range of about
    ``1.25 × MATCH_CAP / share`` keys and ``1.25 × MATCH_CAP`` rows read (× the key's candidates per match),
    instead of every match (80,000 rows for "customer service" at ten million messages)."""
    match = and_(Message.workspace_id == workspace_id, matches("messages", Message.id, found))
    top = session.scalar(select(func.max(Message.id))) or 0
    floor = top - WINDOW

    def newest(*where: Any, limit: int, walk: bool) -> list[tuple[int, int]]:
        query = (select(Message.id, Message.case_id).where(match, *where).order_by(Message.id.desc()).limit(limit))
        # the walk: the primary key backwards (no bitmap, no sort); the index read: GIN, then the newest kept
        return _planned(session, query, ("enable_seqscan", *(("enable_bitmapscan", "enable_sort") if walk
                                                               else ("enable_indexscan",))))

    rows = newest(Message.id > floor, limit=MATCH_CAP, walk=True)
    if len(rows) >= MATCH_CAP or floor <= 0:
        return [c for _, c in rows]
    key, candidates = range_key(session, workspace_id, found, floor, len(rows))
    seen, below = WINDOW, floor  # keys looked at so far; the keys not yet looked at: 1 .. below
    while len(rows) < MATCH_CAP and below > 0:
        need = MATCH_CAP - len(rows)
        way, span = _cheapest(need, len(rows) / seen, below, candidates)
        if way == "walk":
            rows += newest(Message.id <= below, limit=need, walk=True)
            break
        if way == "every" and seen == WINDOW:  # every match from the index (the window's again: a range on the
            rows = newest(limit=MATCH_CAP, walk=False)  # key would cost a bitmap of it, and its matches are few)
            break
        if way == "every":  # after ranges: the rest as one last range
            span = below
        rows += _planned(session, range_query(workspace_id, found, key, below - span, below, need),
                         ("enable_seqscan", "enable_indexscan"))
        seen, below = seen + span, below - span
    return [c for _, c in rows]


def _planned(session: Session, query: Select[int, int], off: tuple[str, ...]) -> list[tuple[int, int]]:
    """``query``'s (id, case id) rows with the planner's ``off`` switches off for it alone (reset after)."""
    try:
        for setting in off:
            session.execute(text(f"SET LOCAL {setting} = off"))
        return [(int(i), int(c)) for i, c in session.execute(query)]
    finally:
        for setting in off:
            session.execute(text(f"RESET {setting}"))


def _parts(found: Terms) -> list[tuple[str, ...]]:
    """The conditions the index answers exactly, one lexeme or word each: the words, and the phrases' pairs of
    adjacent words (:data:`PG_PAIRS`)."""
    parts: list[tuple[str, ...]] = []
    for item in found.items:
        pairs = [item] if len(item) == 1 else [item[i:i + 2] for i in range(len(item) - 1)]
        parts += [p for p in pairs if p not in parts]
    return parts


def range_key(session: Session, workspace_id: int, found: Terms, floor: int, matched: int
               ) -> tuple[ColumnElement[bool], float]:
    """The condition a key range is read from the index by, and its candidates per match.

    PostgreSQL intersects the index's bitmap with the key range's only when it expects the index to give many
    rows; for several words or pairs it multiplies their frequencies as if they were unrelated ("customer" and
    "service"), expects a handful and reads every one instead. So one condition is given to the index, the one
    with the fewest matches among the newest :data:`WINDOW` messages (counted in one walk of them; its frequency
    is in PostgreSQL's statistics), and the whole query is checked on its candidates (:func:`_unindexed`)."""
    parts = _parts(found)
    conditions = [matches("messages", Message.id, Terms((p,))) for p in parts]
    if len(parts) == 1:
        return conditions[0], 1.0
    counts = session.execute(select(*(func.count().filter(c) for c in conditions))
                             .where(Message.workspace_id == workspace_id, Message.id > floor)).one()
    fewest = min(range(len(parts)), key=lambda i: int(counts[i]))
    return conditions[fewest], max(1.0, int(counts[fewest]) / matched) if matched else 1.0


def range_query(workspace_id: int, found: Terms, key: ColumnElement[bool], low: int, high: int, limit: int
                ) -> Select[int, int]:
    """The newest ``limit`` messages matching ``found`` with an id in ``(low, high]``, read from the index through
    ``key`` (:func:`range_key`) and the key range, ``found`` checked on the candidates."""
    return (select(Message.id, Message.case_id)
            .where(Message.workspace_id == workspace_id, key, _unindexed(found), Message.id > low, Message.id <= high)
            .order_by(Message.id.desc()).limit(limit))


def _unindexed(found: Terms) -> ColumnElement[bool]:
    """``matches`` as a plain function call (``ts_match_vq``, what ``@@`` calls), which no index answers: checked
    on the rows another condition found."""
    return cast(ColumnElement[bool], func.ts_match_vq(literal_column("messages.search_vector"),
                                                      _pg_query(found, PG_CONFIGS)))


#: a key range read from the index: its own bitmap costs this much per key of the range (in rows walked)
RANGE_KEY_COST = 0.02
#: each read from the GIN index goes through the words' whole lists: this much per candidate in the table
INDEX_ENTRY_COST = 0.1
#: a range is taken this much wider than the share seen so far says it needs
RANGE_MARGIN = 1.25


def _cheapest(need: int, share: float, below: int, candidates: float = 1.0) -> tuple[str, int]:
    """How to find ``need`` more matches among the keys ``1 .. below``, given the ``share`` of matches among the
    messages seen so far and the index's ``candidates`` per match in a key range (:func:`range_key`):
    ``("walk", 0)``, ``("every", 0)`` or ``("range", keys)`` (see :func:`newest_message_cases`); pure."""
    if share <= 0:  # none seen: few anywhere (under one in WINDOW), so every match from the index is cheap
        return "every", 0
    span = min(below, math.ceil(need / share * RANGE_MARGIN))
    listed = INDEX_ENTRY_COST * share * below  # the index's lists, read through by either index way
    costs = {
        "walk": need / share,
        "every": INDEX_COST * share * below + listed,
        "range": INDEX_COST * candidates * share * span + RANGE_KEY_COST * span + candidates * listed,
    }
    way = min(costs, key=lambda k: costs[k])
    return way, span if way == "range" else 0
