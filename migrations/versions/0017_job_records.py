"""One job record for every background job (app/job_records.py)

Import batches, photo imports, print batches, exchange exports and incident snapshots get the
same columns (status, job_id, user_id, node_path, done/total, message, result_path,
created_on/started_on/finished_on) and one status vocabulary: new / queued / running / done /
failed. Old values are mapped: a registry import waiting for its mapping ("uploaded") is
"new", a queued photo import ("uploaded") is "queued", a merging print batch is "running"
(its claimed merge is now its result_path). A photo import's error moves from its report to
``message``; a snapshot takes its incident's region as ``node_path``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:05:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _count(name):
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def _started():
    return sa.Column("started_on", sa.DateTime(), nullable=True)


def _result():
    return sa.Column("result_path", sa.String(length=500), nullable=True)


def _set_status(table, old, new, where=""):
    op.execute(f"UPDATE {table} SET status = '{new}' WHERE status = '{old}'{where}")


def upgrade():
    with op.batch_alter_table("ks_import_batch") as batch:
        batch.add_column(_count("done"))
        batch.add_column(_result())
        batch.add_column(_started())
    _set_status("ks_import_batch", "uploaded", "new")

    with op.batch_alter_table("ks_photo_import") as batch:
        batch.add_column(_count("done"))
        batch.add_column(_count("total"))
        batch.add_column(sa.Column("message", sa.String(length=500), nullable=True))
        batch.add_column(_result())
        batch.add_column(_started())
    _set_status("ks_photo_import", "uploaded", "queued")
    _move_photo_errors(to_message=True)

    with op.batch_alter_table("ks_print_batch") as batch:
        batch.alter_column("path", new_column_name="result_path",
                           existing_type=sa.String(length=500), existing_nullable=True)
        batch.add_column(_started())
    _set_status("ks_print_batch", "merging", "running")

    with op.batch_alter_table("ks_exchange_export") as batch:
        batch.alter_column("stored_path", new_column_name="result_path",
                           existing_type=sa.String(length=500), existing_nullable=True)
        batch.add_column(_count("done"))
        batch.add_column(_count("total"))
        batch.add_column(_started())

    with op.batch_alter_table("ks_incident_snapshot") as batch:
        batch.alter_column("requested_on", new_column_name="created_on",
                           existing_type=sa.DateTime(), existing_nullable=False)
        batch.alter_column("path", new_column_name="result_path",
                           existing_type=sa.String(length=500), existing_nullable=True)
        batch.add_column(sa.Column("node_path", PATH, nullable=True))
        batch.add_column(_count("done"))
        batch.add_column(_count("total"))
        batch.add_column(_started())
    op.execute("UPDATE ks_incident_snapshot SET node_path = (SELECT n.path FROM ks_incident i "
               "JOIN ks_node n ON n.id = i.node_id WHERE i.id = ks_incident_snapshot.incident_id)")
    with op.batch_alter_table("ks_incident_snapshot") as batch:
        batch.alter_column("node_path", existing_type=PATH, nullable=False)
        batch.create_index("ix_ks_incident_snapshot_node_path", ["node_path"])


def downgrade():
    with op.batch_alter_table("ks_incident_snapshot") as batch:
        batch.drop_index("ix_ks_incident_snapshot_node_path")
        batch.drop_column("started_on")
        batch.drop_column("total")
        batch.drop_column("done")
        batch.drop_column("node_path")
        batch.alter_column("result_path", new_column_name="path",
                           existing_type=sa.String(length=500), existing_nullable=True)
        batch.alter_column("created_on", new_column_name="requested_on",
                           existing_type=sa.DateTime(), existing_nullable=False)

    with op.batch_alter_table("ks_exchange_export") as batch:
        batch.drop_column("started_on")
        batch.drop_column("total")
        batch.drop_column("done")
        batch.alter_column("result_path", new_column_name="stored_path",
                           existing_type=sa.String(length=500), existing_nullable=True)

    # A running batch whose merge was claimed was "merging".
    op.execute("UPDATE ks_print_batch SET status = 'merging' "
               "WHERE status = 'running' AND result_path IS NOT NULL")
    with op.batch_alter_table("ks_print_batch") as batch:
        batch.drop_column("started_on")
        batch.alter_column("result_path", new_column_name="path",
                           existing_type=sa.String(length=500), existing_nullable=True)

    _move_photo_errors(to_message=False)
    _set_status("ks_photo_import", "queued", "uploaded")
    with op.batch_alter_table("ks_photo_import") as batch:
        for name in ("started_on", "result_path", "message", "total", "done"):
            batch.drop_column(name)

    _set_status("ks_import_batch", "new", "uploaded")
    with op.batch_alter_table("ks_import_batch") as batch:
        for name in ("started_on", "result_path", "done"):
            batch.drop_column(name)


def _move_photo_errors(to_message):
    """A failed photo import's error: report["error"] ⇄ message (JSON handled in Python, the
    same on SQLite and PostgreSQL; few rows)."""
    conn = op.get_bind()
    table = sa.table("ks_photo_import", sa.column("id", sa.Integer),
                     sa.column("report", sa.JSON), sa.column("message", sa.String))
    for row_id, report, message in conn.execute(
            sa.select(table.c.id, table.c.report, table.c.message)).all():
        report = json.loads(report) if isinstance(report, str) else report
        if to_message:
            if report and "error" in report:
                error = report.pop("error")
                conn.execute(table.update().where(table.c.id == row_id).values(
                    report=report, message=error[:500] if error else None))
        elif message:
            conn.execute(table.update().where(table.c.id == row_id).values(
                report={**(report or {}), "error": message}))
