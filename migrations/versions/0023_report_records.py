"""Data reports freeze what they report: ks_report_record, and on ks_data_submission the diff
base and the acceptance time

``ks_report_record`` holds one row per (report, candidate): the candidate's fields with the
candidate's column types, its guardians, preferences and 优惠 as one text each, and the photo's
SHA-256, written by one INSERT … SELECT per report. Reports made before this revision froze
nothing: their pages show the counts only.

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

#: (name, type) of the candidate fields a report freezes, as ks_candidate declares them.
FIELDS = [
    ("node_id", sa.Integer()), ("name", sa.String(40)), ("gender", sa.String(1)),
    ("id_number", sa.String(18)), ("birth_date", sa.Date()), ("ethnicity", sa.String(2)),
    ("political_status", sa.String(2)), ("phone", sa.String(11)), ("address", sa.String(200)),
    ("postcode", sa.String(6)), ("hukou", sa.String(6)), ("student_number", sa.String(30)),
    ("candidate_number", sa.String(20)), ("class_name", sa.String(30)),
    ("category", sa.String(2)), ("subject_track", sa.String(2)),
    ("foreign_language", sa.String(2)), ("graduation_school", sa.String(100)),
    ("education_level", sa.String(2)), ("occupation", sa.String(2)), ("work_start", sa.Date()),
    ("candidate_feature", sa.String(2)), ("enrolment_type", sa.String(2)),
    ("study_form", sa.String(1)), ("graduation_date", sa.Date()),
    ("diploma_number", sa.String(40)), ("medical_license", sa.String(40)),
    ("remark", sa.String(200)),
]


def upgrade():
    # Plain ADD COLUMNs (no constraint), which SQLite runs without rebuilding the table.
    op.add_column("ks_data_submission", sa.Column("accepted_at", sa.DateTime(), nullable=True))
    op.add_column("ks_data_submission", sa.Column("base_id", sa.Integer(), nullable=True))
    # A report accepted before this revision was accepted when it was decided.
    op.execute("UPDATE ks_data_submission SET accepted_at = decided_at WHERE state = 'accepted'")
    op.create_table(
        "ks_report_record",
        sa.Column("report_id", sa.Integer(),
                  sa.ForeignKey("ks_data_submission.id", ondelete="CASCADE"), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        *(sa.Column(name, type_, nullable=True) for name, type_ in FIELDS),
        sa.Column("guardians", sa.Text(), nullable=True),
        sa.Column("preferences", sa.Text(), nullable=True),
        sa.Column("bonus", sa.Text(), nullable=True),
        sa.Column("photo_sha", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("report_id", "candidate_id"),
    )
    op.create_index("ix_ks_report_record_candidate", "ks_report_record",
                    ["candidate_id", "report_id"])


def downgrade():
    op.drop_index("ix_ks_report_record_candidate", table_name="ks_report_record")
    op.drop_table("ks_report_record")
    with op.batch_alter_table("ks_data_submission") as batch:
        batch.drop_column("base_id")
        batch.drop_column("accepted_at")
