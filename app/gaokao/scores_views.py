"""Screens of the imported 高考 results: the province's imports of scores (成绩) and of the
basic-education department's 学业水平考试成绩 and 综合素质评价, the release switch of the scores,
and the scoped lists staff read them in (a county sees its own candidates')."""
import os

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from .. import codes as shared_codes
from ..audit import log_event
from ..base_views import SCOPE, CodedInterface, ScopedModelView
from ..candidates.picker import search_by_candidate
from ..candidates.registry_file import RegistryFileError, read_table
from ..codes import GAOKAO
from ..exams.picker import active_exams, chosen_exam, named_exam
from ..extensions import db
from ..jurisdiction import PROVINCE
from ..refusals import NotAllowed
from . import academic, academic_codes, scores
from .score_models import BasicEduResult, GaokaoScore

MAX_UPLOAD = 20 * 1024 * 1024
REPORT_ROWS = 500  # rejected rows listed on the page


def province_only():
    """These imports are the province's (seed 002: 我院统一采集 / 我院负责导入并转换)."""
    node = getattr(g.user, "node", None)
    if node is None or node.kind != PROVINCE:
        raise NotAllowed(_l("Only the provincial examination authority imports these results."))


def gaokao_exams():
    exams = active_exams(GAOKAO)
    return exams, chosen_exam(request.args.get("exam"), GAOKAO, exams)


def _upload(back):
    """(file bytes, file name) of the request, or a flash and None."""
    file = request.files.get("file")
    data = file.read(MAX_UPLOAD + 1) if file else b""
    if not data:
        flash(_l("Choose a CSV or XLSX file to upload."), "danger")
        return None
    if len(data) > MAX_UPLOAD:
        flash(_l("The file is larger than %(n)d MB.", n=MAX_UPLOAD // (1024 * 1024)), "danger")
        return None
    return data, os.path.basename(file.filename or "upload")[:255]


class GaokaoScoreImportView(BaseView):
    """成绩导入 and the release switch (成绩发布), province only."""

    route_base = "/gaokao/scores"
    class_permission_name = "GaokaoScoreImportView"
    base_permissions = ["can_list", "can_import", "can_release"]
    method_permission_name = {"index": "list", "upload": "import", "release": "release"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        province_only()
        exams, exam = gaokao_exams()
        counts = scores.score_counts(exam.id, g.user.node) if exam else None
        return self.render_template(
            "gaokao/scores_import.html", exams=exams, exam=exam, counts=counts,
            released=scores.is_released(exam.id) if exam else False,
            columns=scores.COLUMNS, labels=scores.LABELS, max_mb=MAX_UPLOAD // (1024 * 1024))

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self):
        province_only()
        exam = named_exam(request.form.get("exam"), GAOKAO)
        back = redirect(url_for(".index", exam=exam.id if exam else None))
        if exam is None:
            flash(_l("Choose an exam."), "danger")
            return back
        upload = _upload(back)
        if upload is None:
            return back
        data, source = upload
        try:
            report = scores.import_scores(read_table(data, source), exam, g.user.node, source)
        except RegistryFileError as exc:
            flash(str(exc), "danger")
            return back
        log_event("import", "ks_gaokao_score", {
            "exam": exam.id, "file": source, "recorded": report.added + report.replaced,
            "unchanged": report.unchanged, "rejected": report.rejected_rows})
        return self.render_template(
            "gaokao/scores_report.html", title=_l("Score import"), report=report,
            source=source, shown=report.rejected[:REPORT_ROWS],
            back=url_for(".index", exam=exam.id))

    @expose("/release", methods=["POST"])
    @has_access
    def release(self):
        province_only()
        exam = named_exam(request.form.get("exam"), GAOKAO)
        if exam is None:
            flash(_l("Choose an exam."), "danger")
            return redirect(url_for(".index"))
        on = request.form.get("released") == "1"
        scores.set_released(exam, on, g.user.id)
        db.session.commit()
        flash(_l("The scores of %(exam)s are released: candidates see them on their page.",
                 exam=exam.name) if on else
              _l("The scores of %(exam)s are withdrawn: candidates no longer see them.",
                 exam=exam.name), "success")
        return redirect(url_for(".index", exam=exam.id))


class BasicEduImportView(BaseView):
    """学业水平考试成绩 and 综合素质评价 imports, province only."""

    route_base = "/gaokao/basic"
    class_permission_name = "BasicEduImportView"
    base_permissions = ["can_list", "can_import"]
    method_permission_name = {"index": "list", "upload": "import"}
    default_view = "index"

    @staticmethod
    def _part(value):
        return value if value in academic_codes.PARTS else academic_codes.ACADEMIC

    @expose("/")
    @has_access
    def index(self):
        province_only()
        exams, exam = gaokao_exams()
        part = self._part(request.args.get("part"))
        items = [(zh, "、".join(g_zh for _c, g_zh, _e in academic_codes.scale_of(part, code)))
                 for code, zh, _en in academic_codes.items_of(part)]
        count = academic.result_count(part, exam.id, g.user.node) if exam else None
        return self.render_template(
            "gaokao/scores_basic_import.html", exams=exams, exam=exam, part=part,
            parts=academic.PART_LABELS, items=items, count=count,
            identity=scores.COLUMNS, long_columns=academic.LONG,
            max_mb=MAX_UPLOAD // (1024 * 1024))

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self):
        province_only()
        exam = named_exam(request.form.get("exam"), GAOKAO)
        part = self._part(request.form.get("part"))
        back = redirect(url_for(".index", exam=exam.id if exam else None, part=part))
        if exam is None:
            flash(_l("Choose an exam."), "danger")
            return back
        upload = _upload(back)
        if upload is None:
            return back
        data, source = upload
        try:
            report = academic.import_results(read_table(data, source), part, exam,
                                             g.user.node, source)
        except RegistryFileError as exc:
            flash(str(exc), "danger")
            return back
        log_event("import", "ks_gaokao_basic_result", {
            "exam": exam.id, "file": f"{academic.PART_LABELS[part]}：{source}",
            "recorded": report.added + report.replaced, "unchanged": report.unchanged,
            "rejected": report.rejected_rows})
        return self.render_template(
            "gaokao/scores_report.html", title=academic.PART_LABELS[part], report=report,
            source=source, shown=report.rejected[:REPORT_ROWS], grades=True,
            back=url_for(".index", exam=exam.id, part=part))


_CANDIDATE_LABELS = {"candidate": _l("Candidate"), "candidate_id": _l("Candidate"),
                     "source": _l("File"), "imported_on": _l("Imported on")}


class GaokaoScoreView(ScopedModelView):
    """Imported scores, read only, inside the reader's subtree."""

    datamodel = search_by_candidate(SQLAInterface(GaokaoScore))
    route_base = "/gaokao/scorelist"
    base_permissions = ["can_list", "can_show"]
    include_route_methods = {"list", "show"}  # imported only: no form writes a score
    list_title = show_title = _l("Scores")
    list_columns = ["candidate", "chinese", "mathematics", "foreign_language", "combined",
                    "total", "professional", "feature"]
    show_columns = ["candidate", *list_columns[1:], "source", "imported_on"]
    search_columns = ["candidate_id", "total"]
    order_columns = ["total", "imported_on"]
    base_order = ("id", "desc")
    label_columns = {**_CANDIDATE_LABELS, **scores.LABELS}
    formatters_columns = {c: (lambda v: scores._plain(v) if v is not None else "")
                          for c in scores.SCORES}


class _BasicResultView(ScopedModelView):
    base_permissions = ["can_list", "can_show"]
    include_route_methods = {"list", "show"}  # imported only: no form writes a grade
    list_columns = ["candidate", "item_label", "grade_label", "original"]
    show_columns = ["candidate", "item_label", "grade_label", "original", "source",
                    "imported_on"]
    search_columns = ["candidate_id", "item", "grade"]
    order_columns = ["item", "grade"]
    base_order = ("id", "desc")
    label_columns = {**_CANDIDATE_LABELS, "item": _l("Subject"), "item_label": _l("Subject"),
                     "grade": _l("Grade"), "grade_label": _l("Grade"),
                     "original": _l("Value in the department's file")}


def _coded_select(label, table):
    return SelectField(label, choices=lambda: shared_codes.choices(table, lang=None))


class AcademicResultView(_BasicResultView):
    datamodel = search_by_candidate(CodedInterface(BasicEduResult, coded=("item", "grade")))
    route_base = "/gaokao/academic"
    list_title = show_title = _l("Academic proficiency test results")
    base_filters = SCOPE + [["part", FilterEqual, academic_codes.ACADEMIC]]
    search_form_extra_fields = {
        "item": _coded_select(_l("Subject"), academic_codes.ACADEMIC_SUBJECTS),
        "grade": _coded_select(_l("Grade"), academic_codes.ALL_GRADES)}


class QualityResultView(_BasicResultView):
    datamodel = search_by_candidate(CodedInterface(BasicEduResult, coded=("item", "grade")))
    route_base = "/gaokao/quality"
    list_title = show_title = _l("Comprehensive quality evaluation")
    base_filters = SCOPE + [["part", FilterEqual, academic_codes.QUALITY]]
    label_columns = {**_BasicResultView.label_columns, "item": _l("Dimension"),
                     "item_label": _l("Dimension")}
    search_form_extra_fields = {
        "item": _coded_select(_l("Dimension"), academic_codes.QUALITY_DIMENSIONS),
        "grade": _coded_select(_l("Grade"), academic_codes.GRADE_AD)}
