"""成人高考 scores, admissions and their release switches (issue 18 items 10 and 11).

Revision ID: 0035
Revises: 0034
"""
from alembic import op
import sqlalchemy as sa

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    score = sa.Numeric(4, 1)
    op.create_table(
        "ks_adult_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("paper_group", sa.String(10), nullable=False),
        sa.Column("chinese", score), sa.Column("mathematics", score),
        sa.Column("politics", score), sa.Column("foreign_language", score),
        sa.Column("combined", score), sa.Column("basic_course", score),
        sa.Column("feature", sa.Numeric(4, 1), nullable=False),
        sa.Column("total", sa.Numeric(5, 1), nullable=False),
        sa.Column("archive_score", sa.Numeric(5, 1), nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("imported_by", sa.Integer()),
        sa.Column("imported_on", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "ks_adult_admission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("institution_code", sa.String(10), nullable=False),
        sa.Column("institution_name", sa.String(100), nullable=False),
        sa.Column("major_code", sa.String(10), nullable=False),
        sa.Column("major_name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(2), nullable=False),
        sa.Column("study_form", sa.String(1), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("imported_by", sa.Integer()),
        sa.Column("imported_on", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ks_adult_admission_institution_code", "ks_adult_admission",
                    ["institution_code"])
    op.create_table(
        "ks_adult_result_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("scores_released", sa.Boolean(), nullable=False),
        sa.Column("admission_released", sa.Boolean(), nullable=False),
        sa.Column("changed_on", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.Integer()),
    )


def downgrade():
    op.drop_table("ks_adult_result_release")
    op.drop_index("ix_ks_adult_admission_institution_code", "ks_adult_admission")
    op.drop_table("ks_adult_admission")
    op.drop_table("ks_adult_score")
