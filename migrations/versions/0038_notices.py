"""报考须知 / announcements of an exam for a region (ks_notice, issue 18.1).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03 21:55:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_on", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("changed_on", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["ks_exam.id"]),
        sa.ForeignKeyConstraint(["node_id"], ["ks_node.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ks_notice_exam_id", "ks_notice", ["exam_id"])
    op.create_index("ix_ks_notice_node_id", "ks_notice", ["node_id"])


def downgrade():
    op.drop_index("ix_ks_notice_node_id", table_name="ks_notice")
    op.drop_index("ix_ks_notice_exam_id", table_name="ks_notice")
    op.drop_table("ks_notice")
