"""成人高考: exam-site approval (county → city → province), 参考范围 / 考区调整 per area and
paper group, room-allocation approval, and the 考务资料 job records

Sites entered before the approval chain existed count as approved (server default), as they
did then; a site added from now on starts "proposed" (the model's default).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 20:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")
_SITE_COLUMNS = (
    ("state", lambda: sa.Column("state", sa.String(length=16), nullable=False,
                                server_default="approved")),
    ("return_reason", lambda: sa.Column("return_reason", sa.String(length=500), nullable=True)),
    ("city_by_id", lambda: sa.Column("city_by_id", sa.Integer(), nullable=True)),
    ("city_at", lambda: sa.Column("city_at", sa.DateTime(), nullable=True)),
    ("province_by_id", lambda: sa.Column("province_by_id", sa.Integer(), nullable=True)),
    ("province_at", lambda: sa.Column("province_at", sa.DateTime(), nullable=True)),
    ("version", lambda: sa.Column("version", sa.Integer(), nullable=False, server_default="1")),
)


def upgrade():
    for _name, column in _SITE_COLUMNS:
        op.add_column("ks_exam_site", column())
    op.create_index("ix_ks_exam_site_state", "ks_exam_site", ["state"])
    op.create_table(
        "ks_adult_site_range",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("ks_node.id"), nullable=False),
        sa.Column("paper_group", sa.String(length=10), nullable=False, server_default=""),
        sa.Column("site_id", sa.Integer(),
                  sa.ForeignKey("ks_exam_site.id", ondelete="CASCADE"), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_on", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("exam_id", "node_id", "paper_group", "site_id",
                            name="uq_ks_adult_site_range"),
    )
    for col in ("exam_id", "node_id", "site_id"):
        op.create_index(f"ix_ks_adult_site_range_{col}", "ks_adult_site_range", [col])
    op.create_table(
        "ks_adult_room_allocation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id"), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("ks_node.id"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.UniqueConstraint("exam_id", "node_id", name="uq_ks_adult_room_allocation"),
    )
    for col in ("exam_id", "node_id"):
        op.create_index(f"ix_ks_adult_room_allocation_{col}", "ks_adult_room_allocation", [col])
    op.create_table(
        "ks_adult_exam_doc_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("ks_exam.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
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
    op.create_index("ix_ks_adult_exam_doc_run_node_path", "ks_adult_exam_doc_run", ["node_path"])


def downgrade():
    op.drop_index("ix_ks_adult_exam_doc_run_node_path", table_name="ks_adult_exam_doc_run")
    op.drop_table("ks_adult_exam_doc_run")
    for col in ("exam_id", "node_id"):
        op.drop_index(f"ix_ks_adult_room_allocation_{col}", table_name="ks_adult_room_allocation")
    op.drop_table("ks_adult_room_allocation")
    for col in ("exam_id", "node_id", "site_id"):
        op.drop_index(f"ix_ks_adult_site_range_{col}", table_name="ks_adult_site_range")
    op.drop_table("ks_adult_site_range")
    op.drop_index("ix_ks_exam_site_state", table_name="ks_exam_site")
    for name, _column in reversed(_SITE_COLUMNS):
        op.drop_column("ks_exam_site", name)
