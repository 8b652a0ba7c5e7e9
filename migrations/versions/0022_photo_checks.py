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
    with op.batch_alter_table("ks_candidate_photo") as batch:
        batch.add_column(sa.Column("checks", sa.JSON(), nullable=True))
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
    with op.batch_alter_table("ks_candidate_photo") as batch:
        batch.drop_column("checks")
