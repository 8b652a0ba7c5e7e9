"""高考 志愿 with the dynamic password card (口令卡).

Revision ID: 0030
Revises: 0029
"""
from alembic import op
import sqlalchemy as sa

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _job_columns():
    return [
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("node_path", PATH, nullable=False),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("result_path", sa.String(length=500), nullable=True),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.Column("started_on", sa.DateTime(), nullable=True),
        sa.Column("finished_on", sa.DateTime(), nullable=True),
    ]


def upgrade():
    op.create_table(
        "ks_gk_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("schools", sa.Integer(), nullable=False),
        sa.Column("majors", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("collection_of_id", sa.Integer(), sa.ForeignKey("ks_gk_batch.id"),
                  nullable=True),
        sa.Column("phase_id", sa.Integer(), sa.ForeignKey("ks_phase.id"), nullable=True),
        sa.UniqueConstraint("exam_id", "code", name="uq_gk_batch_code"),
    )
    op.create_index("ix_ks_gk_batch_exam_id", "ks_gk_batch", ["exam_id"])
    op.create_table(
        "ks_gk_card_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reissue", sa.Boolean(), nullable=False, server_default=sa.false()),
        *_job_columns(),
    )
    op.create_index("ix_ks_gk_card_run_node_path", "ks_gk_card_run", ["node_path"])
    op.create_table(
        "ks_gk_card",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("ks_gk_card_run.id"), nullable=True),
        sa.Column("serial", sa.String(length=16), nullable=False, unique=True),
        sa.Column("node_path", PATH, nullable=False),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="SET NULL"), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("replaces_id", sa.Integer(), sa.ForeignKey("ks_gk_card.id"), nullable=True),
        sa.Column("created_on", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ks_gk_card_run_id", "ks_gk_card", ["run_id"])
    op.create_index("ix_ks_gk_card_node_path", "ks_gk_card", ["node_path"])
    op.create_index("ix_ks_gk_card_candidate_id", "ks_gk_card", ["candidate_id"])
    op.create_table(
        "ks_gk_card_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("ks_gk_card.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.String(length=3), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("card_id", "position", name="uq_gk_card_position"),
    )
    op.create_table(
        "ks_gk_preference",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("ks_gk_batch.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("school_name", sa.String(length=100), nullable=False),
        sa.Column("majors", sa.JSON(), nullable=False),
        sa.Column("adjust", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("candidate_id", "batch_id", "seq", name="uq_gk_preference_seq"),
    )
    op.create_index("ix_ks_gk_preference_batch_id", "ks_gk_preference", ["batch_id"])
    op.create_table(
        "ks_gk_pref_pending",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("ks_gk_batch.id"), nullable=False),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("ks_gk_card.id"), nullable=False),
        sa.Column("position", sa.String(length=3), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("candidate_id", "batch_id", name="uq_gk_pending"),
    )


def downgrade():
    op.drop_table("ks_gk_pref_pending")
    op.drop_index("ix_ks_gk_preference_batch_id", table_name="ks_gk_preference")
    op.drop_table("ks_gk_preference")
    op.drop_table("ks_gk_card_code")
    op.drop_index("ix_ks_gk_card_candidate_id", table_name="ks_gk_card")
    op.drop_index("ix_ks_gk_card_node_path", table_name="ks_gk_card")
    op.drop_index("ix_ks_gk_card_run_id", table_name="ks_gk_card")
    op.drop_table("ks_gk_card")
    op.drop_index("ix_ks_gk_card_run_node_path", table_name="ks_gk_card_run")
    op.drop_table("ks_gk_card_run")
    op.drop_index("ix_ks_gk_batch_exam_id", table_name="ks_gk_batch")
    op.drop_table("ks_gk_batch")
