"""Word search over the inbox (issue 22): what ``q`` finds, as SQL conditions indexed on both databases.

The folded copies (``compris.kit.textfold``: no accents, lower case) of the messages' text and the contacts' names
are indexed word by word, kept in step by the database itself in the same transaction as the write (migration
``o1_search``). A case's subject is the first line of its first message: it is found through that message.

* PostgreSQL: ``messages.search_vector``, a ``tsvector`` set by a trigger from ``search_text``, and an expression
  index on ``contacts.search_name``, both GIN. A text's vector is the union of its ``simple`` words (every word as
  written, stop words, numbers, e-mail addresses), its French stems and its English stems (:data:`PG_VECTOR`): a
  message's language is a guess and the query's is unknown, so each query word is looked for under its three
  forms (``annulation`` finds "annuler" and "annulé", ``cancelled`` finds "cancel").
* SQLite: FTS5 tables (``messages_fts``, ``contacts_fts``) over the same folded columns, kept by triggers; the
  ``porter`` tokenizer stems English and, roughly, French endings (plurals, ``-er``/``-ation``/``-é``).

A query is a list of words and ``"quoted phrases"``, all of which must be found (in one message, or in the
name); a phrase's words are looked for as written (accents and case still ignored), in order. Nothing the user
types is query syntax: ``OR``, ``-``, ``*``, quotes are words or separators, never operators (each word goes
through ``plainto_tsquery`` / a quoted FTS5 string).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.types import Boolean, Integer

from compris.kit.textfold import fold
from compris.models import Message
from compris.models.inbox import CASES_EXPRESSION_INDEXES

__all__ = ["FTS_TABLES", "MATCH_CAP", "PG_FUNCTIONS", "PG_VECTOR", "SCHEMA_NAMES", "Terms", "forget_erased", "id_in",
           "include_object", "matches", "message_cases", "newest_message_cases", "terms"]

#: the PostgreSQL function giving a folded text's search vector (simple ∪ French stems ∪ English stems)
PG_VECTOR = "compris_search_vector"
#: the text search configurations a word is looked for in (the order of :data:`PG_VECTOR`'s union)
PG_CONFIGS = ("simple", "french", "english")
#: SQLite: (FTS5 table, content table, folded column, tokenizer)
FTS_TABLES = (
    ("messages_fts", "messages", "search_text", "porter unicode61 remove_diacritics 2"),
    ("contacts_fts", "contacts", "search_name", "unicode61 remove_diacritics 2"),
)
PG_FUNCTIONS = (PG_VECTOR, "compris_messages_search_vector")
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
    builder = func.phraseto_tsquery if len(words) > 1 else func.plainto_tsquery
    result: ColumnElement[Any] = builder(literal_column(f"'{config}'::regconfig"), value)
    return result


def _pg_query(found: Terms, configs: tuple[str, ...]) -> ColumnElement[Any]:
    """``(w1 in any form) && (w2 in any form) ...``: each word's simple, French and English forms OR-ed."""
    n = 0
    anded: ColumnElement[Any] | None = None
    for words in found.items:
        ored: ColumnElement[Any] | None = None
        # a phrase: its words as written, in order (the vector's three parts follow one another, so a stemmed
        # phrase could straddle two of them)
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
    frequency (for a word outside the most common ones it is a guess, and the wrong plan costs seconds at ten
    million messages: walking the whole table for a rare word, or fetching every match of a common one).

    The newest :data:`WINDOW` messages are walked first (a bounded primary-key range). Enough matches there (a
    common word): done. Otherwise the share found there tells what the rest would cost either way: walking on
    until :data:`MATCH_CAP` match (``MATCH_CAP / share`` rows), or reading every match from the GIN index and
    keeping the newest (``share × rows`` matches, each :data:`INDEX_COST` rows' worth); the cheaper is taken. The
    worst case, a word in about ``sqrt(MATCH_CAP / (INDEX_COST × rows))`` of the messages (0.8% at ten million),
    reads about ``sqrt(MATCH_CAP × INDEX_COST × rows)`` rows (120,000)."""
    match = and_(Message.workspace_id == workspace_id, matches("messages", Message.id, found))
    top = session.scalar(select(func.max(Message.id))) or 0
    floor = top - WINDOW

    def newest(*where: Any, limit: int, walk: bool) -> list[tuple[int, int]]:
        query = (select(Message.id, Message.case_id).where(match, *where).order_by(Message.id.desc()).limit(limit))
        try:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            # the walk: the primary key backwards (no bitmap, no sort); the index read: GIN, then the newest kept
            for setting in ("enable_bitmapscan", "enable_sort") if walk else ("enable_indexscan",):
                session.execute(text(f"SET LOCAL {setting} = off"))
            return [(int(i), int(c)) for i, c in session.execute(query)]
        finally:
            for setting in ("enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_sort"):
                session.execute(text(f"RESET {setting}"))

    rows = newest(Message.id > floor, limit=MATCH_CAP, walk=True)
    if len(rows) < MATCH_CAP and floor > 0:
        share = len(rows) / WINDOW  # the older messages hold matches at about the same rate
        walked = (MATCH_CAP - len(rows)) / share if share else float("inf")  # the rows a walk would read
        if walked < INDEX_COST * share * floor:  # ... against the matches the index would give
            rows += newest(Message.id <= floor, limit=MATCH_CAP - len(rows), walk=True)
        else:  # every match from the index (the window's again: a range on the key would cost a bitmap of it)
            rows = newest(limit=MATCH_CAP, walk=False)
    return [c for _, c in rows]
