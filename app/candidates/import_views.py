"""Registry import screens: upload → column mapping → background job with a progress bar →
summary, the rejected rows on the page and a downloadable row-by-row error report. The
upload page lists the recognised headers (registry_file.FIELDS) and offers an XLSX template."""
import os
import uuid
from collections import Counter

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import filestore
from ..codes import EXAM_KIND_LABELS
from ..exams.picker import active_exams
from ..extensions import db
from ..job_records import FAILED, NEW
from ..jurisdiction import get_scoped_or_404
from .export import row_errors_csv
from .importer import own_unit_code
from .labels import LABELS
from .models import ImportBatch, ImportRowError
from .privacy import display_id_number
from .registry_file import (FIELDS, RegistryFileError, apply_mapping, auto_mapping, excel_damaged,
                            fields_for, missing_required, read_table, required_fields,
                            template_xlsx)
from .tasks import fail, read_upload, run_import

MAX_UPLOAD = 50 * 1024 * 1024
#: Rejected rows listed on the result page; the CSV report has them all.
SHOWN_ERRORS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD_LABELS = {f: LABELS[f] for f in FIELDS}


def _header_guide(kinds, school_default):
    """[(kind, label, [(field label, required, spellings)])] for the upload page: the
    importer's own header table, so the page can never list a spelling it does not accept."""
    required = set(required_fields(school_default))
    return [(kind, EXAM_KIND_LABELS.get(kind, kind),
             [(FIELD_LABELS[f], f in required, names) for f, (_req, names) in
              fields_for(kind).items()]) for kind in kinds]


def _rejected_rows(batch):
    """(the first SHOWN_ERRORS rejections as dicts with name and ID number, how many more).

    The error report stores row, column and reason; name and ID number are read back from
    the kept upload (left empty if it is gone), so the page names whom each row was about."""
    errors = db.session.execute(
        select(ImportRowError).where(ImportRowError.batch_id == batch.id)
        .order_by(ImportRowError.row, ImportRowError.id).limit(SHOWN_ERRORS)).scalars().all()
    if not errors:
        return [], 0
    total = db.session.scalar(select(func.count()).select_from(ImportRowError)
                              .where(ImportRowError.batch_id == batch.id))
    people = _people(batch, {e.row for e in errors})
    rows = [{"row": e.row, "column": e.column or "", "reason": e.reason,
             **people.get(e.row, {"name": "", "id_number": ""})} for e in errors]
    return rows, total - len(errors)


def _people(batch, numbers):
    """{row number: {name, id_number}} of the given rows of the batch's stored upload."""
    mapping = {f: int(i) for f, i in (batch.mapping or {}).items()
               if f in ("name", "id_number")}
    try:
        table = read_upload(batch)
    except RegistryFileError:
        return {}
    return {n: {"name": v.get("name", ""),
                "id_number": display_id_number(v["id_number"]) if v.get("id_number") else ""}
            for n, v in apply_mapping(table, mapping) if n in numbers}


def _own_unit():
    """The user's school or registration point code (None above that level, or without a unit)."""
    node = getattr(g.user, "node", None)
    return own_unit_code(node.path) if node is not None else None


def _cut_columns(table, mapping):
    """[(column header, rows)] of the mapped columns holding numbers Excel cut to 15 digits,
    shown before the import starts: those rows will be refused, and the file can be fixed."""
    rows = Counter(f for fields in excel_damaged(table, mapping).values() for f in fields)
    return [(table.headers[mapping[f]], n) for f, n in rows.items()]


class RegistryImportView(BaseView):
    route_base = "/registry-import"
    class_permission_name = "RegistryImportView"
    method_permission_name = {m: "import" for m in
                              ("upload", "template", "mapping", "progress", "status", "errors",
                               "resume")}
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
        kinds = list(dict.fromkeys(e.kind for e in exams))
        school_default = _own_unit() is not None
        page = self.render_template("candidates/import_upload.html", exams=exams,
                                    max_mb=MAX_UPLOAD // (1024 * 1024),
                                    guide=_header_guide(kinds, school_default),
                                    school_default=school_default)
        return page, status

    @expose("/template.xlsx")
    @has_access
    def template(self):
        """The registry file template of an exam kind (?kind=zhongzhao): its headers, an
        example row and Text-formatted number columns; a school's own code as the example."""
        kind = request.args.get("kind", "")
        if kind not in EXAM_KIND_LABELS:
            abort(404)
        data = template_xlsx(kind, _own_unit())
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename=registry-template-{kind}.xlsx"})

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
        path = filestore.put(f"{filestore.IMPORTS}/{uuid.uuid4().hex}.upload", data)
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
            missing = missing_required(chosen, own_unit_code(batch.node_path) is not None)
            if missing:
                flash(_l("Map the required columns: %(cols)s",
                         cols="、".join(str(FIELD_LABELS[f]) for f in missing)), "danger")
            else:
                batch.mapping = chosen
                return self._start(batch)
        preview = table.rows[:5]
        required = required_fields(own_unit_code(batch.node_path) is not None)
        return self.render_template("candidates/import_mapping.html", batch=batch, table=table,
                                    preview=preview, fields=fields, labels=FIELD_LABELS,
                                    required=required,
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
        batch_id = batch.start_job(run_import, str(get_locale() or "zh"), timeout=3600,
                                   description="registry import")
        return redirect(url_for(".progress", batch_id=batch_id))

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
        batch = self._batch(batch_id)
        rejected, more = _rejected_rows(batch) if batch.final else ([], 0)
        return self.render_template("candidates/import_progress.html", batch=batch,
                                    rejected=rejected, more=more)

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
