"""Candidate accounts get a user name (ks_candidate_account.username): 成人高考 candidates
sign themselves up on the public page with a user name and password (issue 18.1).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03 23:59:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    # Stored lower-case, so a plain unique index makes user names unique whatever the case.
    with op.batch_alter_table("ks_candidate_account") as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_ks_candidate_account_username", ["username"], unique=True)


def downgrade():
    with op.batch_alter_table("ks_candidate_account") as batch_op:
        batch_op.drop_index("ix_ks_candidate_account_username")
        batch_op.drop_column("username")
