"""Incidents reported to the level above (市（州）要及时报告省): ks_incident.escalated_to_id,
escalated_on, escalated_by_id

The unit an incident has been reported to, when and by whom (the home page notice of the levels
above names them). Adding nullable columns is a plain ALTER TABLE on SQLite too; dropping them
rebuilds ks_incident there, with foreign keys off so the rebuild does not delete through the
ON DELETE CASCADE references of the incident log, snapshots and draft checks.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ks_incident") as batch:
        batch.add_column(sa.Column("escalated_to_id", sa.Integer(),
                                   sa.ForeignKey("ks_node.id", name="fk_ks_incident_escalated_to"),
                                   nullable=True))
        batch.add_column(sa.Column("escalated_on", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("escalated_by_id", sa.Integer(),
                                   sa.ForeignKey("ab_user.id", name="fk_ks_incident_escalated_by"),
                                   nullable=True))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _foreign_keys("OFF")
    try:
        with op.batch_alter_table("ks_incident") as batch:
            batch.drop_column("escalated_by_id")
            batch.drop_column("escalated_on")
            batch.drop_column("escalated_to_id")
    finally:
        if sqlite:
            _foreign_keys("ON")


def _foreign_keys(state):
    context = op.get_context()
    with context.autocommit_block():
        op.execute(f"PRAGMA foreign_keys={state}")
