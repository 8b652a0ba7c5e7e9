"""成人高考 on-site confirmation (issue 18.4, onsite): the point's record of the pledge copied by
hand and of the documents seen (ks_adult_onsite), and the 照顾加分 claim the point records for
the city's entry to start from (ks_adult_bonus.claim_*).

Revision ID: 0040
Revises: 0039
"""
import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_adult_onsite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("pledge_copied_by", sa.String(length=128), nullable=True),
        sa.Column("pledge_copied_at", sa.DateTime(), nullable=True),
        sa.Column("documents_seen_by", sa.String(length=128), nullable=True),
        sa.Column("documents_seen_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=128), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["ks_candidate.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id"),
    )
    with op.batch_alter_table("ks_adult_bonus") as batch:
        batch.add_column(sa.Column("claim_kind", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("claim_note", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("ks_adult_bonus") as batch:
        for name in ("claimed_at", "claimed_by", "claim_note", "claim_kind"):
            batch.drop_column(name)
    op.drop_table("ks_adult_onsite")
