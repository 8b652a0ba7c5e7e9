"""Background job of the registry import; takes ids only (see app/jobs.py)."""
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import delete

from .. import event_metrics, filestore
from ..extensions import db
from ..security import KsUser
from .importer import ImportConflict, Importer
from .models import ImportBatch, ImportRowError
from .registry_file import RegistryFileError, apply_mapping, excel_damaged, read_table

GONE = _l("The uploaded file of this import is no longer stored on the server; upload it "
          "again.")
STOPPED = _l("The import stopped because of a server error. The rows imported so far are "
             "saved; import the file again to finish, or contact the system administrator.")


def run_import(batch_id, locale="zh"):
    """Import one uploaded batch. Idempotent: a retry clears its old report and upserts again."""
    batch = db.session.get(ImportBatch, batch_id)
    user = db.session.get(KsUser, batch.user_id)
    restart(batch)
    with force_locale(locale):
        try:
            _run(batch, user)
        except RegistryFileError as exc:
            fail(batch_id, str(exc))
        except Exception as exc:
            # Whatever stopped the job, the batch must not stay "running": record the failure
            # (chunks committed before it stay; importing the file again finishes the rest)
            # and re-raise, so the job itself is failed and the traceback logged.
            db.session.rollback()
            fail(batch_id, str(exc) if isinstance(exc, ImportConflict) else str(STOPPED))
            raise
    return db.session.get(ImportBatch, batch_id).status_json()


def restart(batch):
    """Start (or start over) an import: its old error report and counts go."""
    db.session.execute(delete(ImportRowError).where(ImportRowError.batch_id == batch.id))
    batch.created_count = batch.updated_count = batch.rejected_count = 0
    batch.start()
    db.session.commit()


def read_upload(batch):
    """The stored upload of ``batch`` as a table; RegistryFileError (with a message for the
    user) when the file is gone (removed from the file store) or holds no usable table."""
    try:
        data = filestore.read(batch.stored_path)
    except FileNotFoundError:
        raise RegistryFileError("gone", GONE) from None
    return read_table(data, batch.filename)


def _run(batch, user):
    table = read_upload(batch)
    mapping = {k: int(v) for k, v in (batch.mapping or {}).items()}

    def header_of(field):
        index = mapping.get(field)
        return table.headers[index] if index is not None and index < len(table.headers) else field

    Importer(batch, user, header_of, excel_damaged(table, mapping)).run(apply_mapping(table, mapping))
    batch.finish()
    db.session.commit()
    event_metrics.count_import(batch)


def fail(batch_id, message):
    """Mark a batch failed with a message for the import page (kept if already done)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is not None:
        batch.fail(message)
        db.session.commit()
