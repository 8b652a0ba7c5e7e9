"""成人高考 免试入学 applications and 照顾加分 entries (issue 18 items 6–7, aexempt).

Revision ID: 0037
Revises: 0036
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def _common():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=True),
        sa.Column("kind", sa.String(length=2), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["ks_candidate.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id"),
    ]


def upgrade():
    op.create_table(
        "ks_adult_exemption", *_common(),
        sa.Column("scan_ref", sa.String(length=500), nullable=True),
        sa.Column("scan_name", sa.String(length=255), nullable=True),
        sa.Column("scan_type", sa.String(length=50), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("city_by", sa.String(length=128), nullable=True),
        sa.Column("city_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_ks_adult_exemption_state", "ks_adult_exemption", ["state"])
    op.create_table(
        "ks_adult_bonus", *_common(),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.String(length=128), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_ks_adult_bonus_state", "ks_adult_bonus", ["state"])


def downgrade():
    op.drop_index("ix_ks_adult_bonus_state", table_name="ks_adult_bonus")
    op.drop_table("ks_adult_bonus")
    op.drop_index("ix_ks_adult_exemption_state", table_name="ks_adult_exemption")
    op.drop_table("ks_adult_exemption")
