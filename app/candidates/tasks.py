"""Background job of the registry import; takes ids only (see app/jobs.py)."""
import datetime as dt

from flask_babel import force_locale
from sqlalchemy import delete

from ..extensions import db
from ..jobs import report_progress
from .importer import Importer
from .models import ImportBatch, ImportRowError
from .registry_file import RegistryFileError, apply_mapping, read_table


def run_import(batch_id, locale="zh"):
    """Import one uploaded batch. Idempotent: a retry clears its old report and upserts again."""
    from ..security import KsUser

    batch = db.session.get(ImportBatch, batch_id)
    user = db.session.get(KsUser, batch.user_id)
    db.session.execute(delete(ImportRowError).where(ImportRowError.batch_id == batch.id))
    batch.status, batch.created_count, batch.updated_count, batch.rejected_count = "running", 0, 0, 0
    db.session.commit()
    with force_locale(locale):
        try:
            with open(batch.stored_path, "rb") as fh:
                table = read_table(fh.read(), batch.filename)
        except RegistryFileError as exc:
            batch.status, batch.message = "failed", str(exc)
            batch.finished_on = dt.datetime.now()
            db.session.commit()
            return summary(batch)
        mapping = {k: int(v) for k, v in (batch.mapping or {}).items()}

        def header_of(field):
            index = mapping.get(field)
            return table.headers[index] if index is not None and index < len(table.headers) else field

        Importer(batch, user, header_of).run(apply_mapping(table, mapping), report_progress)
    batch.status, batch.finished_on = "done", dt.datetime.now()
    db.session.commit()
    return summary(batch)


def summary(batch):
    return {"status": batch.status, "total": batch.total, "created": batch.created_count,
            "updated": batch.updated_count, "rejected": batch.rejected_count,
            "message": batch.message}

