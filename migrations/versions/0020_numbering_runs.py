"""The ticket numbering keeps a job record like every other background job (ks_numbering_run)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def upgrade():
    op.create_table(
        "ks_numbering_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("renumber", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
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
    )
    op.create_index("ix_ks_numbering_run_node_path", "ks_numbering_run", ["node_path"])


def downgrade():
    op.drop_index("ix_ks_numbering_run_node_path", table_name="ks_numbering_run")
    op.drop_table("ks_numbering_run")
