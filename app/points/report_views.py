"""Data reporting (数据上报): a county or city reports an exam's data to the level above on the
submit page; the receiving level reads what was frozen (the records, the diff against the
unit's previous accepted report, the records changed since) and accepts or returns reports in
list actions. The candidate's page lists the reports that froze it (a tab)."""
import datetime as dt

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import codes
from ..base_views import CodedInterface, ScopedModelView
from ..candidates.labels import LABELS
from ..candidates.privacy import display_id_number
from ..candidates.states import STATE_LABELS
from ..exams.picker import active_exams
from ..extensions import db
from ..jurisdiction import Node, in_scope
from ..phases.rules import PhaseClosed
from ..progress import PROGRESS_STATES, progress
from ..refusals import Refused
from ..review.states import QUALIFICATION_KINDS
from . import freeze, workflow
from .models import DataSubmission, ReportRecord
from .rules import SUBMISSION_STATES, split_part
from .views import PointsTransitionView

REFUSED = (Refused, PhaseClosed)


class DataSubmissionView(PointsTransitionView):
    route_base = "/data-reports"
    # Reports are made on the submit page and never edited or deleted: they are the record.
    exclude_route_methods = {"download", "add", "edit", "delete"}
    datamodel = CodedInterface(DataSubmission, coded=("state",))
    transitions = workflow.SUBMISSION_ACTIONS
    apply_fn = staticmethod(workflow.decide_submission)
    extra_permissions = ("can_submit",)
    list_title, show_title = _l("Data reports"), _l("Data report")
    list_template = "points/submission_list.html"
    show_template = "points/submission_show.html"
    list_columns = ["node", "exam", "state_label", "total", "submitted_by", "submitted_at",
                    "decided_by", "decided_at", "return_reason"]
    show_columns = [*list_columns, "accepted_at", "base"]
    search_columns = ["state", "exam"]
    choice_filters = {"state": (_l("State"), SUBMISSION_STATES)}
    base_order = ("submitted_at", "desc")
    label_columns = {
        "node": _l("Reporting unit"), "exam": _l("Exam"), "state": _l("State"),
        "state_label": _l("State"), "total": _l("Records"), "submitted_by": _l("Submitted by"),
        "submitted_at": _l("Submitted at"), "decided_by": _l("Decided by"),
        "decided_at": _l("Decided at"), "return_reason": _l("Reason for return"),
        "accepted_at": _l("Accepted at"), "base": _l("Compared with the accepted report"),
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["snapshot"] = item.snapshot
        widgets["columns"] = _columns()
        widgets["contents"] = report_contents(item, request.args.get("view"),
                                              _page_number(request.args.get("page")))
        return widgets

    @expose("/submit", methods=["GET", "POST"])
    @has_access
    def submit(self):
        """Choose the exam, see the unit's counts and whether it may report, and report."""
        unit = g.user.node
        exams = active_exams()
        # No default: a report is about the exam chosen on purpose, never a fallback.
        exam = next((e for e in exams if str(e.id) == request.values.get("exam")), None)
        if request.method == "POST" and exam is None:
            flash(_l("Choose the exam."), "danger")
        if request.method == "POST" and exam is not None and unit is not None:
            try:
                submission = workflow.submit(unit, exam, g.user)
                db.session.commit()
            except REFUSED as exc:
                db.session.rollback()
                flash(_message(exc), "danger")
            except IntegrityError:
                # Someone of the same unit reported in the same moment (the partial unique
                # index); theirs stands.
                db.session.rollback()
                flash(_l("%(unit)s's data of this exam was reported by someone else just now.",
                         unit=unit.name), "warning")
            else:
                flash(_l("%(unit)s's data has been reported.", unit=unit.name), "success")
                return redirect(url_for(".show", pk=submission.id))
            return redirect(url_for(".submit", exam=exam.id))
        counts = refusal = None
        below = []
        if exam is not None and unit is not None:
            counted = progress(unit, exam.id)
            counts = workflow.snapshot(counted)
            try:
                workflow.check_submit(unit, exam, g.user, counted)
            except REFUSED as exc:
                refusal = _message(exc)
            units = workflow.reporting_units(unit)
            latest = workflow.latest_submissions(exam.id, [u.id for u in units])
            below = [(u, latest.get(u.id)) for u in units]
        history = [] if exam is None or unit is None else db.session.execute(
            select(DataSubmission).where(DataSubmission.exam_id == exam.id,
                                         DataSubmission.node_id == unit.id)
            .order_by(DataSubmission.submitted_at.desc())).scalars().all()
        return self.render_template("points/submit.html", unit=unit, exams=exams, exam=exam,
                                    counts=counts, refusal=refusal, below=below,
                                    history=history, columns=_columns())


# --- what a report froze ------------------------------------------------------------------------

CONTENTS, SINCE = "contents", "since"
#: The views of a report's show page (``?view=``): its records, the three kinds of the diff
#: against the previous accepted report, and the records changed since it was made.
VIEWS = (CONTENTS, *freeze.KINDS, SINCE)
PART_LABELS = {"guardians": _l("Guardians"), "preferences": _l("Preferences (志愿)"),
               "bonus": _l("Preferential policies (优惠)"), "photo_sha": _l("Photo (SHA-256)")}


def _page_number(value):
    return max(int(value), 0) if str(value or "").isdigit() else 0


def field_label(name):
    return PART_LABELS.get(name) or LABELS.get(name.removesuffix("_id"), name)


def report_contents(report, view, page):
    """What the show page lists under the counts: the diff summary against the unit's
    previous accepted report and against the live records, and one page of ``view``."""
    view = view if view in VIEWS else CONTENTS
    frozen = freeze.frozen_records(report.id)
    base = freeze.frozen_records(report.base_id or 0)  # no base: every record is added
    live = freeze.live_records(report.node, report.exam_id)
    data = {"view": view, "page": page, "page_size": freeze.PAGE_SIZE,
            "base": report.base, "base_visible": report.base is not None and in_scope(report.base),
            "diff": freeze.diff_counts(base, frozen), "since": freeze.diff_counts(frozen, live)}
    if view in (CONTENTS, freeze.ADDED, freeze.REMOVED):
        rows = (freeze.diff_page(freeze.frozen_records(0), frozen, freeze.ADDED, page)
                if view == CONTENTS else freeze.diff_page(base, frozen, view, page))
        rows = [r._asdict() for r in rows]
        changed = freeze.changed_since(report, [r["candidate_id"] for r in rows])
        data["rows"] = [_record_row(report, r, r["candidate_id"] in changed) for r in rows]
    else:
        old, new = (base, frozen) if view == freeze.CHANGED else (frozen, live)
        data["changes"] = [_change_row(report, before, after)
                           for before, after in freeze.diff_page(old, new, freeze.CHANGED, page)]
    data["more"] = len(data.get("rows", data.get("changes"))) == freeze.PAGE_SIZE
    return data


def _units(rows):
    """{node id: name} of the units a page of rows names, in one query."""
    ids = {r["node_id"] for r in rows} - {None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Node.id, Node.name).where(Node.id.in_(ids))).all())


def display(report, name, value, units=None):
    """A frozen value as the page shows it: code labels, the unit's name, masked ID numbers,
    the part texts spelt out."""
    if value is None or value == "":
        return ""
    if name == "node_id":
        return (units or {}).get(value) or db.session.get(Node, value).name
    if name == "id_number":
        return display_id_number(value)
    if name == "gender":
        return codes.label(codes.GENDERS, value, lang=None, default=value)
    if name == "category":
        table = codes.CANDIDATE_CATEGORIES.get(report.exam.kind, ())
        return codes.label(table, value, lang=None, default=value)
    if name in codes.COLUMN_CODES:
        return codes.label(codes.COLUMN_CODES[name], value, lang=None, default=value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if name in PART_DISPLAY:
        return "；".join(PART_DISPLAY[name](*fields) for fields in split_part(value))
    if name == "photo_sha":
        return value[:16] + "…"
    return str(value)


def _guardian(name, relation="", phone="", work_unit="", *_):
    relation = codes.label(codes.GUARDIAN_RELATIONS, relation, lang=None, default=relation)
    return " ".join(p for p in (f"{name}（{relation}）", phone, work_unit) if p)


def _preference(seq, level="", school_code="", school_name="", major_code="", major_name="",
                study_form="", duration="", adjust="0", *_):
    level = codes.label(codes.CANDIDATE_CATEGORIES[codes.ADULT], level, lang=None, default=level)
    form = codes.label(codes.STUDY_FORMS, study_form, lang=None, default=study_form)
    adjusted = _l("accepts adjustment") if adjust == "1" else _l("no adjustment")
    return " ".join(str(p) for p in (f"{seq}.", level, f"{school_name}（{school_code}）",
                                     f"{major_name}（{major_code}）", form, duration, adjusted)
                    if p)


def _bonus(kind, *_):
    return str(QUALIFICATION_KINDS.get(kind, kind))


PART_DISPLAY = {"guardians": _guardian, "preferences": _preference, "bonus": _bonus}


def _record_row(report, row, changed):
    units = _units([row])
    return {"candidate_id": row["candidate_id"], "name": row["name"],
            "id_number": display(report, "id_number", row["id_number"]),
            "unit": display(report, "node_id", row["node_id"], units),
            "phone": row["phone"] or "", "category": display(report, "category", row["category"]),
            "state": STATE_LABELS.get(row["state"], row["state"]),
            "photo": bool(row["photo_sha"]), "changed": changed}


def _change_row(report, before, after):
    units = _units([before, after])
    return {"candidate_id": after["candidate_id"], "name": after["name"],
            "id_number": display(report, "id_number", after["id_number"]),
            "fields": [(field_label(n), display(report, n, before[n], units),
                        display(report, n, after[n], units))
                       for n in freeze.changed_fields(before, after)]}


class _ReportedRecordsWidget(ListWidget):
    template = "points/reported_tab.html"


class _ReportedRecords(CodedInterface):
    """Keeps the rows of the last list query: the tab's flags are computed on them."""

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        g.reported_records = rows
        return count, rows


class ReportedRecordView(ScopedModelView):
    """The reports that froze a candidate (the tab 数据上报 on the candidate's page, attached
    by the composition root): each report's state and the version it froze, and whether the
    record changed since the latest report covering it. Readers of data reports read it;
    rows are scoped by the report (a county sees its own reports, the city its and its
    counties')."""

    route_base = "/data-reports/records"
    include_route_methods = {"list"}
    datamodel = _ReportedRecords(ReportRecord)
    list_widget = _ReportedRecordsWidget
    list_title = _l("Data reports")
    list_columns = ["report", "version"]
    # Explicit: FAB's default offers the candidate and unit relations, a select of every one.
    search_columns = ["name"]
    base_order = ("report_id", "desc")
    label_columns = {"report": _l("Data report"), "version": _l("Version reported"),
                     "candidate": _l("Candidate")}

    def _get_list_widget(self, **kwargs):
        widgets = super()._get_list_widget(**kwargs)
        listing = widgets["list"]
        listing.template_args["records"] = workflow.reported_status(
            g.pop("reported_records", []))
        return widgets


def _message(exc):
    return str(exc) if isinstance(exc, Refused) else exc.args[0]


def _columns():
    """(key, label) of the count columns, in the home page's order."""
    return [("total", _l("Records")), *((s, STATE_LABELS[s]) for s in PROGRESS_STATES),
            ("locked", _l("Locked (signed)")), ("photo", _l("Photo captured"))]


DataSubmissionView.install_actions()
