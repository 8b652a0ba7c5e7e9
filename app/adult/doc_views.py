"""成人高考 after numbering: the room allocation's approval (考场编排: the exam area submits, the
city approves, site_workflow.py) and the 考务资料 job (exam_docs.py: seat lists, door
stickers, sign-in sheets and site summaries of a unit's sites, one PDF)."""
from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from .. import filestore
from ..audit import log_event
from ..codes import ADULT
from ..exams.picker import named_exam
from ..extensions import db
from ..job_records import DONE
from ..jurisdiction import Node, get_scoped_or_404, scope_clause, scoped, units_in_scope
from ..refusals import Refused
from .exam_docs import DOCUMENTS
from .models import ALLOC_OPEN, ALLOCATION_STATES, ExamDocumentRun, ExamSite, RoomAllocation, \
    SeatAssignment
from .numbering import AREA_KINDS
from .site_workflow import allocation_of, allocation_steps, decide_allocation, \
    documents_refusal
from .tasks import DOCUMENTS_TIMEOUT, generate_documents
from .views import adult_exams

RUNS_SHOWN = 20


def _areas():
    return [n for n in units_in_scope() if n.kind in AREA_KINDS]


class RoomAllocationView(BaseView):
    """The exam areas of the user's subtree with their seated candidates and the state of
    their room allocation; the steps each may take."""

    route_base = "/adult/allocation"
    class_permission_name = "RoomAllocationView"
    base_permissions = ["can_list", "can_decide"]
    method_permission_name = {"index": "list", "decide": "decide"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        rows = []
        if exam is not None:
            areas = _areas()
            ids = [a.id for a in areas]
            counts = dict(db.session.execute(
                select(ExamSite.node_id, func.count(SeatAssignment.id))
                .join(SeatAssignment, SeatAssignment.site_id == ExamSite.id)
                .where(ExamSite.exam_id == exam.id, scope_clause(ExamSite, g.user.node))
                .group_by(ExamSite.node_id)).all()) if ids else {}
            allocations = {a.node_id: a for a in db.session.execute(scoped(
                select(RoomAllocation).where(RoomAllocation.exam_id == exam.id),
                RoomAllocation)).scalars()}
            for area in areas:
                alloc = allocations.get(area.id) or RoomAllocation(
                    exam_id=exam.id, node=area, state=ALLOC_OPEN)
                seated = counts.get(area.id, 0)
                steps = [(t, refusal) for t, refusal in allocation_steps(alloc, g.user, seated)]
                rows.append((area, seated, alloc, steps))
        return self.render_template("adult/allocation.html", exams=exams, exam=exam,
                                    rows=rows, states=ALLOCATION_STATES)

    @expose("/decide", methods=["POST"])
    @has_access
    def decide(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        area = get_scoped_or_404(Node, request.form.get("area"))
        if exam is None or area.kind not in AREA_KINDS:
            abort(404)
        allocation = allocation_of(exam.id, area, create=True)
        try:
            decide_allocation(allocation, request.form.get("action", ""), g.user,
                              request.form.get("reason"), request.form.get("version") or None)
            db.session.commit()
            flash(_l("Room allocation of %(area)s: %(state)s.", area=area.name,
                     state=allocation.state_label), "success")
        except StaleDataError:
            db.session.rollback()
            flash(_l("%(name)s was changed by someone else after you loaded the page; reload "
                     "and check again.", name=area.name), "danger")
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".index", exam=exam.id) + f"#area-{area.id}")


class ExamDocumentView(BaseView):
    """考务资料: one background job per exam and unit (a county prints its own sites, a city
    or the province any unit below), only once the unit's room allocations are approved."""

    route_base = "/adult/documents"
    class_permission_name = "ExamDocumentView"
    base_permissions = ["can_list", "can_run"]
    method_permission_name = {"index": "list", "run": "run", "job": "list",
                              "job_status": "list", "download": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        units = [g.user.node] + [a for a in _areas() if a.id != g.user.node.id]
        runs = db.session.execute(scoped(select(ExamDocumentRun).where(
            ExamDocumentRun.exam_id == (exam.id if exam else 0)), ExamDocumentRun)
            .order_by(ExamDocumentRun.id.desc()).limit(RUNS_SHOWN)).scalars().all()
        return self.render_template("adult/documents.html", exams=exams, exam=exam,
                                    units=units, runs=runs)

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        unit = get_scoped_or_404(Node, request.form.get("unit"))
        if exam is None:
            abort(404)
        refusal = documents_refusal(exam.id, unit)
        if refusal is not None:
            flash(str(refusal), "danger")
            return redirect(url_for(".index", exam=exam.id))
        run = ExamDocumentRun(exam_id=exam.id, user_id=g.user.id, node_path=unit.path)
        run_id = run.start_job(generate_documents, str(get_locale() or "zh"),
                               timeout=DOCUMENTS_TIMEOUT,
                               description=f"exam documents exam #{exam.id} run")
        return redirect(url_for(".job", run_id=run_id))

    @expose("/job/<int:run_id>")
    @has_access
    def job(self, run_id):
        run = get_scoped_or_404(ExamDocumentRun, run_id)
        unit = db.session.execute(select(Node).where(Node.path == run.node_path)).scalar_one()
        return self.render_template("adult/documents_job.html", run=run, exam=run.exam,
                                    unit=unit, done=run.status == DONE,
                                    result=run.result or {})

    @expose("/job/<int:run_id>/status")
    @has_access
    def job_status(self, run_id):
        run = get_scoped_or_404(ExamDocumentRun, run_id)
        url = url_for(".download", run_id=run.id) if run.result_path else None
        return jsonify(run.status_json(url))

    @expose("/job/<int:run_id>/download")
    @has_access
    def download(self, run_id):
        run = get_scoped_or_404(ExamDocumentRun, run_id)
        response = filestore.send(run.result_path, DOCUMENTS, "application/pdf",
                                  f"exam-documents-{run.id}.pdf") if run.status == DONE \
            else None
        if response is None:
            abort(404)
        log_event("documents", ExamDocumentRun.__tablename__,
                  {"run": run.id, "download": True})
        return response
