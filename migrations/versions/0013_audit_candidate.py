"""Audit rows name the candidate they concern (filter and history per record)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ks_audit_log") as batch:
        batch.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch.create_index("ix_ks_audit_log_candidate_id", ["candidate_id", "id"])
    # Rows about the candidate record itself; rows of its parts (guardians, photos…) written
    # before this revision stay without the link.
    op.execute("UPDATE ks_audit_log SET candidate_id = row_id WHERE table_name = \x27ks_candidate\x27")


def downgrade():
    with op.batch_alter_table("ks_audit_log") as batch:
        batch.drop_index("ix_ks_audit_log_candidate_id")
        batch.drop_column("candidate_id")
