"""Stored selections of bulk review (ks_review_selection, ks_review_selection_row)

A bulk review acts on "the N selected" or "all M matching this filter": the rows and the
version of each as seen are stored, never carried in a URL; each row then records its outcome
(done, or skipped with the reason). The selection is also the job record when a large one is
applied in the background.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def upgrade():
    op.create_table(
        "ks_review_selection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("principal_name", sa.String(length=40), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("selected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("applied", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
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
    op.create_index("ix_ks_review_selection_node_path", "ks_review_selection", ["node_path"])
    op.create_table(
        "ks_review_selection_row",
        sa.Column("selection_id", sa.Integer(),
                  sa.ForeignKey("ks_review_selection.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("row_id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
    )


def downgrade():
    op.drop_table("ks_review_selection_row")
    op.drop_index("ix_ks_review_selection_node_path", table_name="ks_review_selection")
    op.drop_table("ks_review_selection")
