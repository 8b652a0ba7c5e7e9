"""Name prefix search inside a unit's subtree on PostgreSQL: (node_id, name text_pattern_ops)

The list's name search is "node_id IN (the user's units) AND name LIKE '王%'". With an index on
the name alone, PostgreSQL reads every matching name of the province and keeps the user's: a
county's search grew with the table (56 → 77 ms from 100k to 1M candidates). Leading with the
unit, the index answers each unit's range of names. SQLite needs nothing.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 18:50:00

"""
from alembic import op


revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_ks_candidate_node_name_prefix "
               "ON ks_candidate (node_id, name text_pattern_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_ks_candidate_node_name_prefix")
