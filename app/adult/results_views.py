"""成人高考 results screens: the province's score and admission imports and release switches
(成绩与录取, ``/adult/results/``), the scoped lists and one candidate's results, and the
province's batch print of the 考生登记表 (``/adult/register-forms/``). Rules live in
results.py and register_form.py."""
import os

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..audit import log_event
from ..candidates.models import Candidate
from ..candidates.registry_file import RegistryFileError, read_table
from ..codes import ADULT
from ..exams.picker import named_exam
from ..extensions import db
from ..jurisdiction import Node, get_scoped_or_404, scope_clause
from ..printing.views import start_batch
from .logistics import group_label
from .register_form import register_refusal
from .result_models import AdultAdmission, AdultScore
from .results import (ADMISSION_COLUMNS, COLUMN_LABELS, SCORE_COLUMNS, candidate_results,
                      import_admissions, import_scores, release_of, result_counts,
                      score_lines, set_release, subject_names)
from .views import MAX_UPLOAD, REPORT_ROWS, adult_exams, print_units

PAGE_SIZE = 50
MAX_BATCH = 20000  # as the batch print page's listed ids
IMPORTS = {"scores": (import_scores, SCORE_COLUMNS, "ks_adult_score"),
           "admissions": (import_admissions, ADMISSION_COLUMNS, "ks_adult_admission")}
IMPORT_TITLES = {"scores": _l("Scores"), "admissions": _l("Admission results")}


def _page_number():
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10000))


class AdultResultView(BaseView):
    route_base = "/adult/results"
    class_permission_name = "AdultResultView"
    base_permissions = ["can_list", "can_import", "can_release"]
    method_permission_name = {"index": "list", "scores": "list", "admissions": "list",
                              "candidate": "list", "upload": "import", "release": "release"}
    default_view = "index"

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        counts = result_counts(exam.id, g.user.node) if exam else None
        return self.render_template(
            "adult/results.html", exams=exams, exam=exam, counts=counts,
            release=release_of(exam.id) if exam else None, imports=IMPORTS,
            titles=IMPORT_TITLES, labels=COLUMN_LABELS, may_import=self._may("can_import"),
            may_release=self._may("can_release"), max_mb=MAX_UPLOAD // (1024 * 1024))

    @expose("/import/<what>", methods=["POST"])
    @has_access
    def upload(self, what):
        if what not in IMPORTS:
            abort(404)
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
        importer, _columns, table_name = IMPORTS[what]
        try:
            report = importer(read_table(data, source), exam, g.user.node, g.user.id, source)
        except RegistryFileError as exc:
            flash(str(exc), "danger")
            return back
        # The audit's action holds 10 characters: "scores" / "admissions" on the adult tables.
        log_event(what, table_name, {"exam": exam.id, "file": source,
                                                **report.counts()})
        return self.render_template("adult/results_report.html", exam=exam, report=report,
                                    source=source, title=IMPORT_TITLES[what],
                                    shown=report.rejected[:REPORT_ROWS])

    @expose("/release", methods=["POST"])
    @has_access
    def release(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        what = request.form.get("what")
        if exam is None or what not in ("scores", "admission"):
            abort(404)
        on = request.form.get("on") == "1"
        set_release(exam, what, on, g.user.id)
        messages = {("scores", True): _l("Candidates now see their scores."),
                    ("scores", False): _l("Candidates no longer see their scores."),
                    ("admission", True): _l("Candidates now see their admission results."),
                    ("admission", False): _l("Candidates no longer see their admission "
                                             "results.")}
        flash(messages[(what, on)], "success")
        return redirect(url_for(".index", exam=exam.id))

    def _list(self, model, template, order, extra=None, **ctx):
        exams, exam = adult_exams()
        page = _page_number()
        rows, total = [], 0
        if exam is not None:
            stmt = (select(model, Candidate).join(Candidate, Candidate.id == model.candidate_id)
                    .where(Candidate.exam_id == exam.id, scope_clause(Candidate, g.user.node)))
            if extra is not None:
                stmt = extra(stmt)
            total = db.session.execute(select(func.count()).select_from(
                stmt.with_only_columns(model.id).subquery())).scalar()
            rows = db.session.execute(stmt.order_by(*order).limit(PAGE_SIZE)
                                      .offset((page - 1) * PAGE_SIZE)).all()
        return self.render_template(template, exams=exams, exam=exam, rows=rows, total=total,
                                    page=page, pages=max(1, -(-total // PAGE_SIZE)),
                                    args=request.args.to_dict(), **ctx)

    @expose("/scores")
    @has_access
    def scores(self):
        return self._list(AdultScore, "adult/results_scores.html",
                          (AdultScore.archive_score.desc(), Candidate.candidate_number,
                           Candidate.id), group_label=group_label, subject_names=subject_names)

    @expose("/admissions")
    @has_access
    def admissions(self):
        institution = (request.args.get("institution") or "").strip().upper()[:10]

        def narrow(stmt):
            return stmt.where(AdultAdmission.institution_code == institution) \
                if institution else stmt

        return self._list(AdultAdmission, "adult/results_admissions.html",
                          (AdultAdmission.institution_code, AdultAdmission.major_code,
                           Candidate.candidate_number, Candidate.id), narrow)

    @expose("/candidate/<int:candidate_id>")
    @has_access
    def candidate(self, candidate_id):
        cand = get_scoped_or_404(Candidate, candidate_id)
        if cand.exam.kind != ADULT:
            abort(404)
        score, admission = candidate_results(cand.id)
        return self.render_template(
            "adult/results_candidate.html", cand=cand, score=score, admission=admission,
            lines=score_lines(score) if score else [], release=release_of(cand.exam_id),
            print_refusal=register_refusal(cand))


class AdultRegisterFormView(BaseView):
    """考生登记表 of admitted candidates, batch-printed by the province (seed 004 §四.13)."""

    route_base = "/adult/register-forms"
    class_permission_name = "AdultRegisterFormView"
    base_permissions = ["can_print"]
    method_permission_name = {"index": "print", "batch": "print"}
    default_view = "index"

    def _page(self, error=None, status=200):
        exams, exam = adult_exams()
        return self.render_template("adult/register_forms.html", exams=exams, exam=exam,
                                    units=print_units(), error=error,
                                    form=request.form), status

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/batch", methods=["POST"])
    @has_access
    def batch(self):
        exam = named_exam(request.form.get("exam"), ADULT)
        if exam is None:
            return self._page(_("Choose an exam."), 400)
        unit = get_scoped_or_404(Node, request.form.get("node") or g.user.node.id)
        institution = (request.form.get("institution") or "").strip().upper()
        stmt = (select(Candidate.id).join(AdultAdmission,
                                          AdultAdmission.candidate_id == Candidate.id)
                .where(Candidate.exam_id == exam.id, scope_clause(Candidate, unit),
                       scope_clause(Candidate, g.user.node)))
        if institution:
            stmt = stmt.where(AdultAdmission.institution_code == institution)
        ids = list(db.session.execute(stmt.order_by(
            AdultAdmission.institution_code, AdultAdmission.major_code,
            Candidate.candidate_number, Candidate.id).limit(MAX_BATCH + 1)).scalars())
        if not ids:
            return self._page(_("No admitted candidate of %(unit)s matches.", unit=unit.name),
                              400)
        if len(ids) > MAX_BATCH:
            return self._page(_("More than %(n)d admitted candidates match: choose a smaller "
                                "unit or one institution.", n=MAX_BATCH), 400)
        return start_batch("admitted", exam.id,
                           {"ids": ids, "admitted_of": unit.id,
                            "institution": institution or None},
                           {"node_id": unit.id, "institution": institution or None,
                            "count": len(ids)})
