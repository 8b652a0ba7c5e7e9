"""高考 优惠 (民审 and other bonus policies) and 专项 qualifications.

Revision ID: 0031
Revises: 0030
"""
from alembic import op
import sqlalchemy as sa

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_gaokao_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=10), nullable=False),
        sa.Column("policy", sa.String(length=4), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("scan", sa.String(length=300), nullable=True),
        sa.Column("scan_name", sa.String(length=200), nullable=True),
        sa.Column("scan_type", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_on", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["ks_candidate.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id", "policy"),
    )
    op.create_index("ix_ks_gaokao_claim_candidate_id", "ks_gaokao_claim", ["candidate_id"])
    op.create_index("ix_ks_gaokao_claim_part", "ks_gaokao_claim", ["part"])
    op.create_index("ix_ks_gaokao_claim_state", "ks_gaokao_claim", ["state"])


def downgrade():
    op.drop_index("ix_ks_gaokao_claim_state", table_name="ks_gaokao_claim")
    op.drop_index("ix_ks_gaokao_claim_part", table_name="ks_gaokao_claim")
    op.drop_index("ix_ks_gaokao_claim_candidate_id", table_name="ks_gaokao_claim")
    op.drop_table("ks_gaokao_claim")
