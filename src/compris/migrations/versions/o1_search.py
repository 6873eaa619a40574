"""search (issue 22): word search indexed on both databases, kept in step by the database in the write's transaction

PostgreSQL: ``messages.search_vector`` (a ``tsvector`` of the folded text: its simple words, French stems and English
stems) set by a ``BEFORE INSERT OR UPDATE OF search_text`` trigger, a GIN index on it; a GIN expression index on the
contacts' folded name; ``text_pattern_ops`` indexes for identities' handles,
names and network ids (prefix searches). SQLite: FTS5 external-content tables over the same folded columns, kept by
``AFTER INSERT / UPDATE OF / DELETE`` triggers. Existing rows are indexed by the migration (backfill).

(A case's subject is the first line of its first message: searched through the message, not indexed apart.)

SQLite note: a later migration that copies ``messages`` or ``contacts`` in batch mode drops their
triggers with the old table: it must create them again (``create_sqlite``), or search stops following the writes.

Revision ID: o1_search
Revises: o0_ingest_indexes
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

from alembic import op

#: what ``compris.inbox.search`` queries, as of this revision (copied: a migration does not follow later code)
PG_VECTOR = "compris_search_vector"
FTS_TABLES = (
    ("messages_fts", "messages", "search_text", "porter unicode61 remove_diacritics 2"),
    ("contacts_fts", "contacts", "search_name", "unicode61 remove_diacritics 2"),
)

revision: str = "o1_search"
down_revision: str | None = "o0_ingest_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IDENTITY_INDEXES = (
    ("ix_identities_handle_lower", "lower(handle) text_pattern_ops"),
    ("ix_identities_name_lower", "lower(name) text_pattern_ops"),
    ("ix_identities_platform_id_lower", "lower(platform_user_id) text_pattern_ops"),
    ("ix_identities_platform_id", "platform_user_id text_pattern_ops"),
)


def create_pg() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {PG_VECTOR}(folded text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT to_tsvector('simple'::regconfig, coalesce(folded, ''))
                || to_tsvector('french'::regconfig, coalesce(folded, ''))
                || to_tsvector('english'::regconfig, coalesce(folded, ''))
        $$""")
    op.execute("ALTER TABLE messages ADD COLUMN IF NOT EXISTS search_vector tsvector")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION compris_messages_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := CASE WHEN NEW.search_text IS NULL THEN NULL ELSE {PG_VECTOR}(NEW.search_text) END;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER messages_search_vector BEFORE INSERT OR UPDATE OF search_text ON messages
        FOR EACH ROW EXECUTE FUNCTION compris_messages_search_vector()""")
    # the backfill: every existing message's vector (one pass over the table)
    op.execute(f"UPDATE messages SET search_vector = {PG_VECTOR}(search_text) WHERE search_text IS NOT NULL")
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (search_vector)")
    op.execute("CREATE INDEX ix_contacts_search ON contacts "
               "USING gin (to_tsvector('simple'::regconfig, coalesce(search_name, '')))")
    for name, expression in _IDENTITY_INDEXES:
        op.execute(f"CREATE INDEX {name} ON identities ({expression})")


def create_sqlite() -> None:
    """The FTS5 tables and their triggers (idempotent), then the index of the existing rows."""
    for fts, table, column, tokenizer in FTS_TABLES:
        op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{table}', "
                   f"content_rowid='id', tokenize='{tokenizer}')")
        op.execute(f"""CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END""")
        op.execute(f"""CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END""")
        op.execute(f"""CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});
            INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END""")
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    for name, expression in _IDENTITY_INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON identities ({expression.replace(' text_pattern_ops', '')})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        create_pg()
    else:
        create_sqlite()


def downgrade() -> None:
    for name, _ in _IDENTITY_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contacts_search")
        op.execute("DROP TRIGGER IF EXISTS messages_search_vector ON messages")
        op.execute("DROP FUNCTION IF EXISTS compris_messages_search_vector()")
        op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search_vector")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_VECTOR}(text)")
        return
    for fts, *_ in FTS_TABLES:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
