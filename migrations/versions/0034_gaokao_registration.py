"""高考 报名信息 (registration part of the electronic archive).

Revision ID: 0034
Revises: 0033
"""
from alembic import op
import sqlalchemy as sa

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_gaokao_registration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("registration_number", sa.String(14), nullable=False),
        sa.Column("graduation_kind", sa.String(1), nullable=False),
        sa.Column("exam_type", sa.String(1), nullable=False),
        sa.Column("hukou_type", sa.String(1), nullable=False),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("application_kind", sa.String(1), nullable=False),
        sa.Column("fee_state", sa.String(1), nullable=False),
        sa.Column("fee_amount", sa.Numeric(8, 2)),
        sa.Column("paid_at", sa.DateTime()),
        sa.Column("fee_recorded_by", sa.String(128)),
        sa.Column("state", sa.String(10), nullable=False, server_default="entered"),
        sa.Column("confirmed_at", sa.DateTime()),
        sa.Column("confirmed_by", sa.String(128)),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("candidate_id"),
        sa.UniqueConstraint("registration_number", "exam_id",
                            name="uq_ks_gaokao_registration_no"),
    )


def downgrade():
    op.drop_table("ks_gaokao_registration")
