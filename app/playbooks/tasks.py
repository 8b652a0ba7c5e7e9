"""Background job of the data snapshot (数据备份); takes ids only (see app/jobs.py)."""
import os

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .. import filestore
from ..backup import BACKUP_SUFFIX, write_backup
from ..candidates.export import to_xlsx
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, subtree_range
from .models import IncidentSnapshot

SNAPSHOT_TIMEOUT = 3600


#: the file-store folder of the XLSX snapshots
SNAPSHOTS = "snapshots"


def snapshots_dir():
    """The local folder of the province's full backups (UPLOAD_DIR/snapshots on the server
    that ran the job: a backup is never kept inside the database it backs up)."""
    folder = os.path.join(current_app.config["UPLOAD_DIR"], SNAPSHOTS)
    os.makedirs(folder, exist_ok=True)
    return folder


def take_snapshot(snapshot_id):
    """Export the candidates of the incident's exam in its region to XLSX in the file
    store's snapshots/. Idempotent: a retry writes the same file again."""
    snapshot = db.session.get(IncidentSnapshot, snapshot_id)
    if snapshot is None:
        return {"status": "gone"}
    incident = snapshot.incident
    snapshot.start()
    db.session.commit()
    try:
        stmt = (select(Candidate).join(Node, Node.id == Candidate.node_id)
                .options(contains_eager(Candidate.node))
                .where(Candidate.exam_id == incident.exam_id,
                       subtree_range(Node.path, incident.node.path))
                .order_by(Node.path, Candidate.id)
                .execution_options(yield_per=2000))
        data, count = to_xlsx(db.session.execute(stmt).scalars())
        path = filestore.put(f"{SNAPSHOTS}/incident-{incident.id}-{snapshot.id}.xlsx", data)
        message = _province_backup(incident, snapshot)
    except Exception as exc:
        db.session.rollback()
        db.session.get(IncidentSnapshot, snapshot_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise
    snapshot.rows = count
    snapshot.advance(count, count)
    snapshot.finish(message, result_path=path)
    db.session.commit()
    return snapshot.status_json()


def _province_backup(incident, snapshot):
    """For an incident of the whole province, the step also writes the full backup of
    ``flask kaosheng backup`` (database and stored files) next to the XLSX; its message."""
    if incident.node.parent_id is not None:
        return None
    from flask_babel import gettext as _

    name = f"incident-{incident.id}-{snapshot.id}{BACKUP_SUFFIX}"
    write_backup(os.path.join(snapshots_dir(), name))
    return _("Back up the data: a full backup of the province (database and files) was "
             "written as %(name)s.", name=name)
