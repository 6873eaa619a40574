"""search by phrase at scale (issue 22): the messages' search vectors also hold their pairs of adjacent words

A quoted phrase (``"customer service"``) was looked for as its words in order: the GIN index gives every message
holding both words anywhere, and each is read to check the words' positions. Two frequent words make that tens of
thousands of rows at ten million messages, and PostgreSQL, multiplying the two words' frequencies as if they were
unrelated, plans for a handful. Each message's vector now also holds every pair of adjacent words as it is written
(``'customer service'``, a lexeme with a space: the text parser never makes one, so no typed word can be mistaken for
a pair), without positions: a phrase of two words is one lexeme of the index, with its own frequency in the
statistics; a longer phrase is its pairs, then its words' positions checked on those few messages.

PostgreSQL only (SQLite's FTS5 index keeps positions and answers phrases itself). Every message's vector is computed
again: the index is dropped, the vectors written, the index built again (about 6 minutes a million messages here;
``docs/deployment.md``). ``compris_search_phrase(folded)`` is the query of a phrase.

Revision ID: o3_search_pairs
Revises: o2_inbox_indexes
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "o3_search_pairs"
down_revision: str | None = "o2_inbox_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the names ``compris.inbox.search`` uses, as of this revision (copied: a migration does not follow later code)
PG_VECTOR = "compris_search_vector"
PG_PAIRS = "compris_search_pairs"
PG_PHRASE = "compris_search_phrase"

_WORDS = "SELECT v.lexeme, p FROM unnest(to_tsvector('simple'::regconfig, coalesce(folded, ''))) v, unnest(v.positions) p"


def _vector(with_pairs: bool) -> str:
    pairs = f" || {PG_PAIRS}(folded)" if with_pairs else ""
    return f"""
        CREATE OR REPLACE FUNCTION {PG_VECTOR}(folded text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT to_tsvector('simple'::regconfig, coalesce(folded, ''))
                || to_tsvector('french'::regconfig, coalesce(folded, ''))
                || to_tsvector('english'::regconfig, coalesce(folded, '')){pairs}
        $$"""


def _recompute() -> None:
    """Every message's vector again, the index dropped meanwhile (built once at the end, not row by row)."""
    op.execute("DROP INDEX IF EXISTS ix_messages_search")
    op.execute(f"UPDATE messages SET search_vector = {PG_VECTOR}(search_text) WHERE search_text IS NOT NULL")
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (search_vector)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # the pairs of adjacent words of a folded text, as its simple words are numbered (punctuation is no word)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {PG_PAIRS}(folded text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            WITH w AS ({_WORDS})
            SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)), ''::tsvector)
            FROM w a JOIN w b ON b.p = a.p + 1
        $$""")
    # a phrase: two words are their pair alone (exact, nothing to check); more are their pairs, then the words in
    # order (checked on the messages holding every pair); one word is itself
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {PG_PHRASE}(folded text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            WITH pairs AS (
                SELECT string_agg('''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || '''', ' & ') AS q
                FROM unnest(tsvector_to_array({PG_PAIRS}(folded))) l),
            words AS (SELECT count(*) AS n FROM ({_WORDS}) w)
            SELECT CASE
                WHEN pairs.q IS NULL THEN phraseto_tsquery('simple'::regconfig, coalesce(folded, ''))
                WHEN words.n = 2 THEN pairs.q::tsquery
                ELSE pairs.q::tsquery && phraseto_tsquery('simple'::regconfig, folded)
            END
            FROM pairs, words
        $$""")
    op.execute(_vector(with_pairs=True))
    _recompute()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_vector(with_pairs=False))
    op.execute(f"DROP FUNCTION IF EXISTS {PG_PHRASE}(text)")
    _recompute()
    op.execute(f"DROP FUNCTION IF EXISTS {PG_PAIRS}(text)")
