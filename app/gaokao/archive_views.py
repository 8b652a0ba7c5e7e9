"""The 高考 electronic archive as pages: one page per candidate with the nine parts and their
states, and the completeness report per unit (电子档案符合网上录取的质量要求) with the list of
incomplete candidates and CSV exports. Everything is read through the user's subtree: another
county's candidate or unit answers 404."""
import csv
import io

from flask import Response, abort, g, request, stream_with_context
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import log_event
from ..candidates.models import Candidate
from ..candidates.views import CandidateView
from ..codes import GAOKAO
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import Node, get_scoped_or_404
from ..refusals import BadInput
from . import archive, archive_report
from . import registration_part  # noqa: F401  (registers the registration and integrity parts)
from .rules import check_gaokao

#: how each state is drawn (Bootstrap label class).
STATE_STYLE = {archive.MISSING: "danger", archive.ENTERED: "warning",
               archive.CONFIRMED: "success", archive.NOT_REQUIRED: "default"}


def _int_arg(name):
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise BadInput(_l("%(name)s must be a number.", name=name))
    return int(value)


def _exams():
    return db.session.execute(select(Exam).where(Exam.kind == GAOKAO)
                              .order_by(Exam.year.desc(), Exam.id.desc())).scalars().all()


def _chosen():
    """(exam, unit, exams) of a report request: the exam given (else the latest 高考 exam)
    and the unit given (else the user's own), the unit through the scope (404 outside)."""
    node_id = _int_arg("node")
    node = g.user.node if node_id is None else get_scoped_or_404(Node, node_id)
    if node is None:
        abort(404)
    exams = _exams()
    exam_id = _int_arg("exam")
    if exam_id is None:
        exam = exams[0] if exams else None
    else:
        exam = next((e for e in exams if e.id == exam_id), None)
        if exam is None:
            raise BadInput(_l("Choose a 高考 exam."))
    return exam, node, exams


def _part_key():
    key = request.args.get("part", "").strip() or None
    if key is not None and key not in {p.key for p in archive.parts()}:
        raise BadInput(_l("Unknown archive part."))
    return key


def _csv_lines(header, rows):
    """Encoded CSV lines (UTF-8 with a BOM, which Excel on Chinese Windows needs)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        yield buf.getvalue().encode("utf-8")


class GaokaoArchiveView(BaseView):
    """/gaokao/archive/<candidate>: the candidate's archive; /gaokao/archive/report: the
    completeness report of a unit; …/incomplete: its incomplete candidates."""

    route_base = "/gaokao/archive"
    default_view = "report"
    method_permission_name = {"show": "show", "report": "list", "report_csv": "list",
                              "incomplete": "list", "incomplete_csv": "list"}

    @expose("/<int:candidate_id>")
    @has_access
    def show(self, candidate_id):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        check_gaokao(candidate)
        states = archive.states_of([candidate.id])[candidate.id]
        rows = [{"part": p, "state": states[p.key],
                 "label": archive.STATE_LABELS[states[p.key]],
                 "style": STATE_STYLE[states[p.key]],
                 "summary": p.summary(candidate) if p.summary else None,
                 "link": p.link(candidate) if p.link else None} for p in archive.parts()]
        missing = [str(archive.PART_ORDER[k][1]) for k in archive.PART_ORDER
                   if k not in {p.key for p in archive.parts()}]
        return self.render_template(
            "gaokao/archive.html", candidate=candidate, rows=rows,
            complete=not archive.incomplete(states), unregistered=missing,
            thumbnail=CandidateView.parts.thumbnail(candidate),
            title=_("Electronic archive of %(name)s", name=candidate.name))

    @expose("/report")
    @has_access
    def report(self):
        exam, node, exams = _chosen()
        total = rows = None
        if exam is not None:
            total, rows = archive_report.unit_rows(node, exam.id)
        return self.render_template(
            "gaokao/archive_report.html", exam=exam, exams=exams, node=node, total=total,
            rows=rows, parts=archive.parts(), title=_("Archive completeness report"),
            parent=node.parent if node.parent is not None
            and g.user.node.contains(node.parent) else None)

    @expose("/report.csv")
    @has_access
    def report_csv(self):
        exam, node, _exams_ = _chosen()
        if exam is None:
            abort(404)
        total, rows = archive_report.unit_rows(node, exam.id)
        parts = archive.parts()
        header = [_("Unit code"), _("Unit"), _("Number of candidates"), _("Complete"),
                  _("Incomplete")]
        for p in parts:
            header += [f"{p.label}：{_('Missing')}", f"{p.label}：{_('Not confirmed')}"]
        lines = [[r.code, r.name, r.total, r.complete, r.incomplete,
                  *[n for p in parts for n in r.parts[p.key]]] for r in [*rows, total]]
        lines[-1][1] = _("Total") + f"（{node.name}）"
        log_event("export", "gaokao_archive_report", {"exam": exam.id, "node": node.code})
        db.session.commit()
        return self._csv(_csv_lines(header, lines), f"archive-report-{node.code}.csv")

    @expose("/incomplete")
    @has_access
    def incomplete(self):
        exam, node, exams = _chosen()
        if exam is None:
            abort(404)
        part_key = _part_key()
        page = _int_arg("page") or 0
        if page > 10000:
            raise BadInput(_l("That page is beyond the list; narrow it to a unit."))
        candidates, states, more = archive_report.incomplete_page(node, exam.id, page, part_key)
        return self.render_template(
            "gaokao/archive_incomplete.html", exam=exam, node=node, page=page, more=more,
            candidates=candidates, states=states, parts=archive.parts(), part_key=part_key,
            labels=archive.STATE_LABELS, styles=STATE_STYLE,
            title=_("Incomplete archives of %(unit)s", unit=node.name))

    @expose("/incomplete.csv")
    @has_access
    def incomplete_csv(self):
        exam, node, _exams_ = _chosen()
        if exam is None:
            abort(404)
        part_key = _part_key()
        parts = archive.parts()
        header = [_("Candidate number"), _("Candidate name"), _("Unit"),
                  *[str(p.label) for p in parts]]
        log_event("export", "gaokao_archive_incomplete",
                  {"exam": exam.id, "node": node.code, "part": part_key})
        db.session.commit()
        exam_id, node_id = exam.id, node.id

        def rows():
            unit = db.session.get(Node, node_id)
            batch = []
            for cid in archive_report.iter_incomplete_ids(unit, exam_id, part_key):
                batch.append(cid)
                if len(batch) == archive_report.CHUNK:
                    yield from _candidate_lines(batch, parts)
                    batch = []
            yield from _candidate_lines(batch, parts)

        return self._csv(_csv_lines(header, rows()), f"archive-incomplete-{node.code}.csv")

    @staticmethod
    def _csv(lines, filename):
        return Response(stream_with_context(lines), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})


def _candidate_lines(ids, parts):
    if not ids:
        return
    states = archive.states_of(ids)
    found = db.session.execute(select(Candidate.id, Candidate.candidate_number, Candidate.name,
                                      Node.name).join(Node, Candidate.node_id == Node.id)
                               .where(Candidate.id.in_(ids)).order_by(Candidate.id)).all()
    for cid, number, name, unit in found:
        yield [number or "", name, unit,
               *[str(archive.STATE_LABELS[states[cid][p.key]]) for p in parts]]
