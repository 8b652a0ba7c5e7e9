"""Exports of large candidate lists run as background jobs (ks_candidate_export)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def upgrade():
    op.create_table(
        "ks_candidate_export",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fmt", sa.String(length=4), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False, server_default="0"),
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
    op.create_index("ix_ks_candidate_export_node_path", "ks_candidate_export", ["node_path"])


def downgrade():
    op.drop_index("ix_ks_candidate_export_node_path", table_name="ks_candidate_export")
    op.drop_table("ks_candidate_export")
