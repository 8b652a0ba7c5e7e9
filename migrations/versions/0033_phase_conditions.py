"""Phase conditions: regions, 户籍 condition and daily hours (issue 18.3).

Revision ID: 0033
Revises: 0032
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ks_phase", sa.Column("hukou_local", sa.String(10), nullable=True))
    op.add_column("ks_phase", sa.Column("hours", sa.String(100), nullable=True))
    op.create_table(
        "ks_phase_region",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phase_id", sa.Integer(),
                  sa.ForeignKey("ks_phase.id", ondelete="CASCADE"), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("ks_node.id"), nullable=False),
        sa.UniqueConstraint("phase_id", "node_id"),
    )
    op.create_index("ix_ks_phase_region_phase_id", "ks_phase_region", ["phase_id"])
    op.create_index("ix_ks_phase_region_node_id", "ks_phase_region", ["node_id"])


def downgrade():
    op.drop_index("ix_ks_phase_region_node_id", "ks_phase_region")
    op.drop_index("ix_ks_phase_region_phase_id", "ks_phase_region")
    op.drop_table("ks_phase_region")
    op.drop_column("ks_phase", "hours")
    op.drop_column("ks_phase", "hukou_local")
