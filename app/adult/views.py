"""成人高考 logistics screens: payment import (网上缴费结果导入), the points' unpaid check
(核实已确认未缴费考生情况) and ticket numbering (编排准考证号); exam sites are in site_views.py.
Every candidate is loaded through the jurisdiction scope; guards live in payments.py,
unpaid.py and phases/rules.py."""
import os

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import log_event
from .. import codes
from ..candidates.models import Candidate
from ..candidates.registry_file import RegistryFileError, read_table
from ..codes import ADULT
from ..exams.picker import active_exams, chosen_exam, named_exam
from ..extensions import db
from ..job_records import DONE
from ..jurisdiction import CITY, COUNTY, POINT, PROVINCE, Node, get_scoped_or_404, scoped
from ..phases.rules import PhaseClosed, check_open, windows
from .models import UNPAID_REASONS, NumberingRun
from .payments import COLUMNS, COLUMN_LABELS, import_payments, payment_counts
from .tasks import NUMBERING_TIMEOUT, number_tickets
from .unpaid import UnpaidCheckRefused, payment_labels, record_reason, unpaid_candidates

MAX_UPLOAD = 20 * 1024 * 1024
REPORT_ROWS = 500  # rejected rows listed on the page


def adult_exams():
    """The page's exams and the one it shows (``?exam=``, the newest by default)."""
    exams = active_exams(ADULT)
    return exams, chosen_exam(request.args.get("exam"), ADULT, exams)


def print_units():
    """The units a batch print of 成人高考 forms may name: the user's active province, cities,
    counties and confirmation points, in tree order."""
    return db.session.execute(scoped(
        select(Node).where(Node.kind.in_((PROVINCE, CITY, COUNTY, POINT)),
                           Node.active.is_(True)).order_by(Node.path), Node)).scalars().all()


class AdultPaymentView(BaseView):
    route_base = "/adult/payments"
    class_permission_name = "AdultPaymentView"
    base_permissions = ["can_list", "can_import"]
    method_permission_name = {"index": "list", "upload": "import"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        counts = payment_counts(exam.id, g.user.node) if exam else None
        return self.render_template("adult/payments.html", exams=exams, exam=exam,
                                    counts=counts, columns=COLUMNS, labels=COLUMN_LABELS,
                                    max_mb=MAX_UPLOAD // (1024 * 1024))

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        back = redirect(url_for(".index", exam=exam.id if exam else None))
        file = request.files.get("file")
        data = file.read(MAX_UPLOAD + 1) if file else b""
        if exam is None:
            flash(_l("Choose an exam."), "danger")
            return back
        if not data:
            flash(_l("Choose a CSV or XLSX file to upload."), "danger")
            return back
        if len(data) > MAX_UPLOAD:
            flash(_l("The file is larger than %(n)d MB.", n=MAX_UPLOAD // (1024 * 1024)),
                  "danger")
            return back
        source = os.path.basename(file.filename or "upload")[:255]
        try:
            report = import_payments(read_table(data, source), exam, g.user.node, g.user.id,
                                     source)
        except RegistryFileError as exc:
            flash(str(exc), "danger")
            return back
        log_event("payments", "ks_adult_payment", {
            "exam": exam.id, "file": source, "recorded": report.recorded,
            "unchanged": report.unchanged, "rejected": len(report.rejected)})
        return self.render_template("adult/payment_report.html", exam=exam, report=report,
                                    source=source, shown=report.rejected[:REPORT_ROWS])


class UnpaidCheckView(BaseView):
    route_base = "/adult/unpaid"
    class_permission_name = "UnpaidCheckView"
    base_permissions = ["can_list", "can_record"]
    method_permission_name = {"index": "list", "record": "record"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        rows = unpaid_candidates(exam.id, g.user.node) if exam else []
        window = None
        if exam is not None:
            try:
                check_open("unpaid_check", exam.id, node=g.user.node)
            except PhaseClosed as exc:
                window = str(exc)
        may_record = self.appbuilder.sm.has_access("can_record", self.class_permission_name)
        return self.render_template("adult/unpaid.html", exams=exams, exam=exam, rows=rows,
                                    reasons=codes.choices(UNPAID_REASONS, lang=None), closed=window,
                                    may_record=may_record, states=payment_labels(rows))

    @expose("/record", methods=["POST"])
    @has_access
    def record(self):
        cand = get_scoped_or_404(Candidate, request.form.get("candidate"))
        if cand.exam.kind != ADULT:
            abort(404)
        try:
            record_reason(cand, request.form.get("reason", ""), request.form.get("note"),
                          g.user.id)
            db.session.commit()
            flash(_l("The reason for %(name)s is recorded.", name=cand.name), "success")
        except (UnpaidCheckRefused, PhaseClosed) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".index", exam=cand.exam_id) + f"#c{cand.id}")


class TicketNumberingView(BaseView):
    """The province's numbering run: a background job seats and numbers the candidates."""

    route_base = "/adult/numbering"
    class_permission_name = "TicketNumberingView"
    base_permissions = ["can_list", "can_run"]
    method_permission_name = {"index": "list", "run": "run", "job": "run",
                              "job_status": "run"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        found = windows(exam.id, "ticket_numbering") if exam else []
        return self.render_template("adult/numbering.html", exams=exams, exam=exam,
                                    windows=found)

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        if exam is None:
            abort(404)
        try:
            check_open("ticket_numbering", exam.id)
        except PhaseClosed as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".index", exam=exam.id))
        renumber = request.form.get("renumber") == "1"
        run = NumberingRun(exam_id=exam.id, renumber=renumber, user_id=g.user.id,
                           node_path=g.user.node.path)
        run_id = run.start_job(number_tickets, str(get_locale() or "zh"),
                               timeout=NUMBERING_TIMEOUT,
                               description=f"ticket numbering exam #{exam.id} run")
        return redirect(url_for(".job", run_id=run_id))

    @expose("/job/<int:run_id>")
    @has_access
    def job(self, run_id):
        run = get_scoped_or_404(NumberingRun, run_id)
        return self.render_template("adult/numbering_job.html", run=run, exam=run.exam,
                                    result=(run.result or {}) if run.status == DONE else {})

    @expose("/job/<int:run_id>/status")
    @has_access
    def job_status(self, run_id):
        return jsonify(get_scoped_or_404(NumberingRun, run_id).status_json())
