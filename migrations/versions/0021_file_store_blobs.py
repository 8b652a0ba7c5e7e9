"""The database file store (FILE_STORE="postgresql"): ks_blob, ks_blob_chunk

One row per stored file (its key, size, SHA-256) and its bytes in chunk rows of at most 1 MB,
so several app servers share the files and the database's replication and backup hold them.
Unused (empty) with the default filesystem store.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_blob",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_ks_blob_key"),
    )
    op.create_table(
        "ks_blob_chunk",
        sa.Column("blob_id", sa.Integer(),
                  sa.ForeignKey("ks_blob.id", name="fk_ks_blob_chunk_blob", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # JPEGs and ZIPs are compressed already: store the chunks out of line, uncompressed
        # (no CPU spent on pglz that gains nothing).
        op.execute("ALTER TABLE ks_blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("ks_blob_chunk")
    op.drop_table("ks_blob")
