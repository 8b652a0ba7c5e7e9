"""高考 scores with the release switch per exam, and the basic-education department's results
(学业水平考试成绩, 综合素质评价) converted to the archive's codes (issue 17 parts 6, 8, 9).

Revision ID: 0032
Revises: 0031
"""
from alembic import op
import sqlalchemy as sa

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ks_gaokao_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("chinese", sa.Numeric(5, 1)),
        sa.Column("mathematics", sa.Numeric(5, 1)),
        sa.Column("foreign_language", sa.Numeric(5, 1)),
        sa.Column("combined", sa.Numeric(5, 1)),
        sa.Column("total", sa.Numeric(5, 1), nullable=False),
        sa.Column("professional", sa.Numeric(5, 1)),
        sa.Column("feature", sa.Numeric(9, 4)),
        sa.Column("source", sa.String(255)),
        sa.Column("imported_on", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "ks_gaokao_score_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("changed_on", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="SET NULL")),
    )
    op.create_table(
        "ks_gaokao_basic_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("candidate_id", sa.Integer(),
                  sa.ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False),
        sa.Column("part", sa.String(10), nullable=False),
        sa.Column("item", sa.String(4), nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("original", sa.String(20)),
        sa.Column("source", sa.String(255)),
        sa.Column("imported_on", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("candidate_id", "part", "item"),
    )
    op.create_index("ix_ks_gaokao_basic_result_candidate_id", "ks_gaokao_basic_result",
                    ["candidate_id"])


def downgrade():
    op.drop_index("ix_ks_gaokao_basic_result_candidate_id", "ks_gaokao_basic_result")
    op.drop_table("ks_gaokao_basic_result")
    op.drop_table("ks_gaokao_score_release")
    op.drop_table("ks_gaokao_score")
