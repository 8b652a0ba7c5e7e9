"""Document kinds of a candidate (证件类型) and the city's review of the documents other than
the 居民身份证 (issue 18.2).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 20:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    # In place (a SQLite table rebuild of ks_candidate would drop its progress triggers).
    op.add_column("ks_candidate", sa.Column("id_type", sa.String(length=1), nullable=False,
                                            server_default="1"))
    op.create_table(
        "ks_document_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=True),
        sa.Column("copy_ref", sa.String(length=500), nullable=True),
        sa.Column("copy_name", sa.String(length=255), nullable=True),
        sa.Column("copy_type", sa.String(length=50), nullable=True),
        sa.Column("submitted_by", sa.String(length=128), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["ks_candidate.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id"),
    )
    op.create_index("ix_ks_document_check_state", "ks_document_check", ["state"])


def downgrade():
    op.drop_index("ix_ks_document_check_state", table_name="ks_document_check")
    op.drop_table("ks_document_check")
    op.drop_column("ks_candidate", "id_type")
