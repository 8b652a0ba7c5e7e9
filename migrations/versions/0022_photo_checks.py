"""Photo check results kept per picture: ks_candidate_photo.checks (JSON) and ks_photo_problem

``checks`` holds what the checks measured on the stored file (shown beside the photo to
reviewers and on the capture pages); ``ks_photo_problem`` one row per rule the file fails or
warns on, so the review list filters candidates by photo problem with an index instead of
checking pictures at list time. Pictures stored before this revision have no results yet:
``flask kaosheng photo-recheck`` fills them (the dossier also fills one when it is shown).

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ks_candidate_photo", sa.Column("checks", sa.JSON(), nullable=True))
    op.create_table(
        "ks_photo_problem",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("photo_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate_photo.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("warn", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("photo_id", "code", name="uq_ks_photo_problem_photo_code"),
    )
    op.create_index("ix_ks_photo_problem_code_photo", "ks_photo_problem", ["code", "photo_id"])


def downgrade():
    op.drop_index("ix_ks_photo_problem_code_photo", table_name="ks_photo_problem")
    op.drop_table("ks_photo_problem")
    # Not batch mode: on SQLite that rebuilds the table, and the rename at its end fails on the
    # progress triggers that name ks_candidate_photo (migration 0016). SQLite ≥ 3.35 drops a
    # column in place.
    op.execute("ALTER TABLE ks_candidate_photo DROP COLUMN checks")
