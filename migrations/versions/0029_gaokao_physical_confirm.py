"""高考 体检: proofread / confirm states and the county → city → province reports of results.

Revision ID: 0029
Revises: 0028
"""
from alembic import op
import sqlalchemy as sa

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    # In place (no batch rebuild). SQLite cannot add a column with a constraint: there the
    # user columns are plain integers (the model's foreign keys are on PostgreSQL).
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("ks_physical_exam", sa.Column("state", sa.String(12), nullable=False,
                                                server_default="entered"))
    for name in ("changed_by_id", "proofread_by_id", "confirmed_by_id"):
        fk = () if sqlite else (sa.ForeignKey("ab_user.id", name=f"fk_ks_physical_exam_{name}"),)
        op.add_column("ks_physical_exam", sa.Column(name, sa.Integer(), *fk, nullable=True))
    for name in ("changed_at", "proofread_at", "confirmed_at"):
        op.add_column("ks_physical_exam", sa.Column(name, sa.DateTime(), nullable=True))
    op.add_column("ks_physical_exam", sa.Column("reopen_reason", sa.String(200), nullable=True))
    # Results entered before: entered when the record was made, by nobody known.
    op.execute("UPDATE ks_physical_exam SET changed_at = created_on")
    op.create_index("ix_ks_physical_exam_state", "ks_physical_exam", ["state"])
    op.create_index("ix_ks_physical_exam_changed_at", "ks_physical_exam", ["changed_at"])
    op.create_table(
        "ks_physical_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("ks_node.id"), nullable=False),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_ks_physical_report_unit", "ks_physical_report",
                    ["node_id", "exam_id", "submitted_at"])


def downgrade():
    op.drop_index("ix_ks_physical_report_unit", table_name="ks_physical_report")
    op.drop_table("ks_physical_report")
    op.drop_index("ix_ks_physical_exam_changed_at", table_name="ks_physical_exam")
    op.drop_index("ix_ks_physical_exam_state", table_name="ks_physical_exam")
    for name in ("reopen_reason", "confirmed_at", "proofread_at", "changed_at",
                 "confirmed_by_id", "proofread_by_id", "changed_by_id", "state"):
        op.drop_column("ks_physical_exam", name)
