"""Registry import screens: upload → column mapping → background job with a progress bar →
summary and a downloadable row-by-row error report."""
import os
import uuid
from collections import Counter

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..exams.picker import active_exams
from ..extensions import db
from ..job_records import FAILED, NEW
from ..jobs import enqueue
from ..jurisdiction import get_scoped_or_404
from .export import row_errors_csv
from .labels import LABELS
from .models import ImportBatch
from .registry_file import (FIELDS, RegistryFileError, auto_mapping, excel_damaged, fields_for,
                            missing_required, read_table)
from .tasks import fail, read_upload, run_import

MAX_UPLOAD = 50 * 1024 * 1024
FIELD_LABELS = {f: LABELS[f] for f in FIELDS}


def _cut_columns(table, mapping):
    """[(column header, rows)] of the mapped columns holding numbers Excel cut to 15 digits,
    shown before the import starts: those rows will be refused, and the file can be fixed."""
    rows = Counter(f for fields in excel_damaged(table, mapping).values() for f in fields)
    return [(table.headers[mapping[f]], n) for f, n in rows.items()]


class RegistryImportView(BaseView):
    route_base = "/registry-import"
    class_permission_name = "RegistryImportView"
    method_permission_name = {m: "import" for m in
                              ("upload", "mapping", "progress", "status", "errors", "resume")}
    default_view = "upload"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        exams = active_exams()
        status = 200
        if request.method == "POST":
            try:
                batch = self._store_upload(exams)
            except RegistryFileError as exc:
                # Refused before anything is stored or rendered from it (a file too wide
                # or too long must not reach the mapping page).
                flash(str(exc), "danger")
                batch, status = None, 422
            if batch is not None:
                return redirect(url_for(".mapping", batch_id=batch.id))
        page = self.render_template("candidates/import_upload.html", exams=exams,
                                    max_mb=MAX_UPLOAD // (1024 * 1024))
        return page, status

    def _store_upload(self, exams):
        file = request.files.get("file")
        exam = next((e for e in exams if str(e.id) == request.form.get("exam")), None)
        if exam is None:
            flash(_l("Choose an exam."), "danger")
            return None
        data = file.read(MAX_UPLOAD + 1) if file else b""
        if not data:
            flash(_l("Choose a CSV or XLSX file to upload."), "danger")
            return None
        if len(data) > MAX_UPLOAD:
            flash(_l("The file is larger than %(n)d MB.", n=MAX_UPLOAD // (1024 * 1024)), "danger")
            return None
        table = read_table(data, file.filename)
        folder = os.path.join(current_app.config["UPLOAD_DIR"], "imports")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{uuid.uuid4().hex}.upload")
        with open(path, "wb") as fh:
            fh.write(data)
        batch = ImportBatch(exam_id=exam.id, user_id=g.user.id, node_path=g.user.node.path,
                            filename=os.path.basename(file.filename or "upload")[:255],
                            stored_path=path, status=NEW,
                            mapping=auto_mapping(table.headers, exam.kind))
        db.session.add(batch)
        db.session.commit()
        return batch

    @expose("/<int:batch_id>/mapping", methods=["GET", "POST"])
    @has_access
    def mapping(self, batch_id):
        batch = self._batch(batch_id)
        try:
            table = read_upload(batch)
        except RegistryFileError as exc:
            return self._unreadable(batch, exc)
        fields = fields_for(batch.exam.kind)
        if request.method == "POST" and batch.status == NEW:
            chosen = {}
            for field in fields:
                value = request.form.get(f"col_{field}", "")
                if value.isdigit() and int(value) < len(table.headers):
                    chosen[field] = int(value)
            missing = missing_required(chosen)
            if missing:
                flash(_l("Map the required columns: %(cols)s",
                         cols="、".join(str(FIELD_LABELS[f]) for f in missing)), "danger")
            else:
                batch.mapping = chosen
                return self._start(batch)
        preview = table.rows[:5]
        return self.render_template("candidates/import_mapping.html", batch=batch, table=table,
                                    preview=preview, fields=fields, labels=FIELD_LABELS,
                                    mapping=batch.mapping or {},
                                    cut=_cut_columns(table, batch.mapping or {}))

    @expose("/<int:batch_id>/resume", methods=["POST"])
    @has_access
    def resume(self, batch_id):
        """Run a failed import again (e.g. its worker was stopped): the job upserts, so the
        rows saved before the failure are updated, not duplicated."""
        batch = self._batch(batch_id)
        if batch.status != FAILED:
            flash(_l("Only a failed import can be resumed."), "warning")
            return redirect(url_for(".progress", batch_id=batch.id))
        return self._start(batch)

    def _start(self, batch):
        batch.queue()
        db.session.commit()
        batch.job_id = enqueue(run_import, batch.id, str(get_locale() or "zh"),
                               job_timeout=3600, owner_id=g.user.id,
                               description=f"registry import #{batch.id}")
        db.session.commit()
        return redirect(url_for(".progress", batch_id=batch.id))

    def _unreadable(self, batch, exc):
        """The stored upload cannot be mapped (removed from the server, or no data rows): say
        so, and end a batch still waiting for its mapping, since it can never start."""
        if batch.status == NEW:
            fail(batch.id, str(exc))
        page = self.render_template("candidates/import_error.html", batch=batch,
                                    message=str(exc))
        return page, 410 if exc.code == "gone" else 422

    @expose("/<int:batch_id>")
    @has_access
    def progress(self, batch_id):
        return self.render_template("candidates/import_progress.html", batch=self._batch(batch_id))

    @expose("/<int:batch_id>/status")
    @has_access
    def status(self, batch_id):
        return jsonify(self._batch(batch_id).status_json())

    @expose("/<int:batch_id>/errors.csv")
    @has_access
    def errors(self, batch_id):
        batch = self._batch(batch_id)
        return row_errors_csv(batch.id, f"import-{batch.id}-errors.csv")

    @staticmethod
    def _batch(batch_id):
        # Visible to the importing unit and the levels above it; 404 for anyone else.
        return get_scoped_or_404(ImportBatch, batch_id)
