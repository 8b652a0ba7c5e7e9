"""Prefix search on the candidate list backed by indexes on PostgreSQL (name, ID number, 考生号)

"starts with" compares with LIKE when the typed text has no letter case (a Chinese name,
digits): a b-tree index answers "LIKE x%" only with text_pattern_ops (or the C collation),
which the default indexes of a database in another collation lack. SQLite needs nothing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 18:00:00

"""
from alembic import op


revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

COLUMNS = ("name", "id_number", "candidate_number")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_ks_candidate_{column}_prefix "
                   f"ON ks_candidate ({column} text_pattern_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_ks_candidate_{column}_prefix")
