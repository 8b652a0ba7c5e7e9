"""National DBF exchange: export jobs (数据交换导出)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    path = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")
    op.create_table(
        "ks_exchange_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("node_path", path, nullable=False),
        sa.Column("accepted", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("stored_path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("photos", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.Column("finished_on", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["exam_id"], ["ks_exam.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ks_exchange_export_node_path", "ks_exchange_export", ["node_path"])


def downgrade():
    op.drop_index("ix_ks_exchange_export_node_path", table_name="ks_exchange_export")
    op.drop_table("ks_exchange_export")
