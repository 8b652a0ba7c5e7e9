"""How the audit trail (审计日志) reads to an auditor: actions, records and fields by their
Chinese labels, codes as their labels, and the candidate and unit each row concerns.

The labels come from where the screens already define them (each model view's
``label_columns`` and title), so a field is named in the audit log as on its own screen.
Names of candidates and units are loaded for a whole list page at once (``remember_page``),
never one query per row.
"""
import datetime as dt
import re

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from . import codes
from .candidates.labels import LABELS as CANDIDATE_LABELS
from .candidates.models import Candidate
from .exams.models import Exam
from .extensions import db
from .jurisdiction import Node, place_name
from .candidates.states import STATE_LABELS

ACTION_LABELS = {
    "insert": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"),
    "export": _l("Exported"), "print": _l("Printed"), "activation": _l("Activation code issued"),
    "payments": _l("Payment file imported"), "snapshot": _l("Snapshot taken"),
    "download": _l("Downloaded"), "pledge": _l("Integrity pledge signed"),
    "unlock": _l("Unlocked"),
    "import": _l("File imported"), "scores": _l("Score file imported"),
    "admissions": _l("Admission file imported"), "documents": _l("Exam documents generated"),
    "notices": _l("Notices to candidates read"),
}
# Records without a screen of their own (or whose screen title is not the record's name).
TABLE_LABELS = {
    "ks_candidate": _l("Candidate"), "ab_user": _l("User"), "ab_role": _l("Role"),
    "ks_candidate_account": _l("Candidate account"), "ks_review_event": _l("Review"),
    "ks_preference": _l("Preferences"), "ks_candidate_photo": _l("Photo"),
    "ks_adult_payment": _l("Fee payment"), "ks_adult_unpaid_check": _l("Unpaid check"),
    "ks_incident_entry": _l("Incident log entry"), "ks_incident_snapshot": _l("Data snapshot"),
    "ks_incident_draft_check": _l("Paper draft reconciliation"),
    "ks_candidate_export": _l("Export of the candidate list"),
    "ks_adult_score": _l("Adult exam scores"), "ks_adult_admission": _l("Adult exam admission"),
    "ks_adult_result_release": _l("Release of adult exam results"),
    "ks_gaokao_score_release": _l("Release of gaokao scores"),
    "ks_phase_region": _l("Regions of a phase"), "ks_gk_preference": _l("Gaokao preferences"),
    "ks_gk_card": _l("Password card"), "ks_gk_card_run": _l("Password card run"),
    "ks_gk_batch": _l("Preference batch"),
    "ks_adult_room_allocation": _l("Room allocation"),
    "ks_adult_onsite": _l("On-site confirmation"),
    "gaokao_archive_report": _l("Archive completeness report"),
    "gaokao_archive_incomplete": _l("Incomplete archives"),
}
# Fields that no screen labels (foreign keys, collections, fields kept off the forms).
FIELD_LABELS = {
    "candidate_id": _l("Candidate"), "exam_id": _l("Exam"), "node_id": _l("Unit"),
    "activity": _l("Activity"), "recovery_question": _l("Recovery question"),
    "guardians": _l("Guardians"), "studies": _l("Study history"),
    "preferences": _l("Preferences"), "evaluation": _l("Quality evaluation"),
    "seq": _l("Preference order"), "level": _l("Level"), "major_category": _l("Major category"),
    "school_name": _l("Institution"), "rooms": _l("Rooms"), "path": _l("Unit path"),
    "contact": _l("Contact"), "serves_levels": _l("Levels served"),
    # the record's print, signature and lock (kept off the forms)
    "printed_at": _l("Printed at"), "printed_version": _l("Printed version"),
    "signed_at": _l("Signed at"), "locked": _l("Locked"), "reject_reason": _l("Rejection reason"),
    "created_on": _l("Created at"), "changed_on": _l("Changed at"), "version": _l("Version"),
    # pictures
    "file_sha256": _l("Stored picture"), "original_sha256": _l("Original picture"),
    "uploaded_by": _l("Uploaded by"), "current": _l("Current picture"),
    # candidate accounts and other records kept off the forms
    "activation_expires": _l("Activation code valid until"), "failed_logins": _l("Failed logins"),
    "locked_until": _l("Locked until"), "parent_id": _l("Parent unit"),
    "created_by_fk": _l("Created by"), "changed_by_fk": _l("Changed by"),
    "user_id": _l("User"), "phase_id": _l("Phase"), "incident_id": _l("Incident"),
    "step": _l("Step"), "detail": _l("Detail"), "timetable": _l("Timetable"),
    "exam_date": _l("First exam day"), "amount": _l("Amount"), "paid_at": _l("Paid at"),
    "transaction_id": _l("Transaction number"), "source": _l("Source"),
    "imported_by": _l("Imported by"), "imported_on": _l("Imported at"),
    "checked_by": _l("Checked by"), "checked_on": _l("Checked at"),
    "opened_by_id": _l("Opened by"), "resolved_on": _l("Resolved at"),
    "closed_on": _l("Closed at"), "paper_since": _l("Paper drafts since"),
    "paper_until": _l("Paper drafts until"), "proposed_by_id": _l("Proposed by"),
    "city_by_id": _l("Agreed by (city)"), "province_by_id": _l("Approved by (province)"),
    "point_id": _l("Point"), "snapshot": _l("Counts reported"),
    "submitted_by_id": _l("Submitted by"), "decided_by_id": _l("Decided by"),
    "base_id": _l("Previous report"), "track": _l("Subject track"),
    "major_code": _l("Major code"), "major_name": _l("Major"), "duration": _l("Duration"),
    "adjust": _l("Accepts adjustment"), "fmt": _l("Format"), "args": _l("Filters"),
    "status": _l("Status"), "done": _l("Done"), "total": _l("Total"), "message": _l("Message"),
    "job_id": _l("Job"), "result_path": _l("Result file"), "started_on": _l("Started at"),
    "finished_on": _l("Finished at"), "node_path": _l("Unit"),
    # 高考 archive and 成人高考 records (issues 17, 18)
    "politics": _l("Politics"), "basic_course": _l("Basic course of the major"),
    "archive_score": _l("Archive score"), "scores_released": _l("Scores released"),
    "admission_released": _l("Admission released"), "released": _l("Released"),
    "collection_of_id": _l("Supplementary round of"), "site_id": _l("Exam site"),
    "set_by_id": _l("Set by"), "approved_by_id": _l("Approved by"),
    "approved_at": _l("Approved at"), "scan_ref": _l("Scan"),
    "changed_by_id": _l("Changed by"), "proofread_by_id": _l("Proofread by"),
    "confirmed_by_id": _l("Confirmed by"), "institution_code": _l("Institution code"),
    "institution_name": _l("Admitting institution"), "admitted_on": _l("Admitted on"),
    "run_id": _l("Card run"), "bound_at": _l("Bound at"), "failures": _l("Wrong codes"),
    "cancelled_at": _l("Cancelled at"), "cancel_reason": _l("Reason for cancelling"),
    "replaces_id": _l("Replaces card"), "copy_ref": _l("Stored copy"),
    "copy_type": _l("File type"),
    "pledge_copied_by": _l("Pledge copy witnessed by"),
    "pledge_copied_at": _l("Pledge copied at"),
    "documents_seen_by": _l("Original documents checked by"),
    "documents_seen_at": _l("Original documents checked at"),
}
SYSTEM = "system"  # the actor name of writes no user made (app/audit.py)
CANDIDATE_ACTOR = "candidate:"  # a candidate's own writes (app/selfservice/views.py)
# Keys of the details of non-data events (print, export…).
EVENT_LABELS = {
    "kind": _l("Form"), "code": _l("Verification code"), "count": _l("Records"),
    "rows": _l("Rows"), "format": _l("Format"), "batch_id": _l("Batch"),
    "candidate_id": _l("Candidate"), "node_id": _l("Unit"), "filters": _l("Filters"),
    "self_service": _l("By the candidate"), "event": _l("Event"), "version": _l("Version"),
    "notices": _l("Notices"),
    "reset": _l("Code issued again"), "batch": _l("Issued for a class or unit"),
    "expires": _l("Valid until"), "exam": _l("Exam"), "region": _l("Region"), "job": _l("Job"),
    "export": _l("Export"), "download": _l("Download"), "unit": _l("Unit"),
    "unchanged": _l("Unchanged"), "rejected": _l("Rejected"), "recorded": _l("Recorded"),
    "pages": _l("Pages"), "file": _l("File"), "by": _l("By"), "accepted": _l("Accepted"),
    "username": _l("User name"), "path": _l("Unit path"),
}
CODE_TABLES = {
    "gender": codes.GENDERS, "ethnicity": codes.ETHNICITIES,
    "political_status": codes.POLITICAL_STATUS, "relation": codes.GUARDIAN_RELATIONS,
    "foreign_language": codes.FOREIGN_LANGUAGES, "education_level": codes.EDUCATION_LEVELS,
    "occupation": codes.OCCUPATIONS, "study_form": codes.STUDY_FORMS,
    "candidate_feature": codes.ADULT_FEATURES, "enrolment_type": codes.ENROLMENT_TYPES,
    "subject_track": codes.SUBJECT_TRACKS,
}
EMPTY = "—"


def action_label(action):
    return ACTION_LABELS.get(action, action)


def _labels():
    """{table: (record label, {field: label})} from the registered model views, built once."""
    cached = current_app.extensions.get("ks_audit_labels")
    if cached is not None:
        return cached
    tables, fields = {}, {"ks_candidate": dict(CANDIDATE_LABELS)}
    for view in current_app.appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        table = getattr(model, "__tablename__", None)
        if not table:
            continue
        cls = type(view)
        title = cls.show_title or cls.list_title
        if title:
            tables.setdefault(table, title)
        for key, label in (cls.label_columns or {}).items():
            if isinstance(label, str) and label == _fab_default_label(key):
                continue  # FAB's own "Printed Version" for a column the screen leaves out
            fields.setdefault(table, {}).setdefault(key, label)
    cached = {t: (TABLE_LABELS.get(t) or tables.get(t) or t, {**CANDIDATE_LABELS, **fields.get(t, {})})
              for t in {*tables, *fields, *TABLE_LABELS}}
    # Any screen's label of a field, for a row whose table is not known (the list's summary).
    cached["*"] = (None, {k: v for labels in fields.values() for k, v in labels.items()})
    current_app.extensions["ks_audit_labels"] = cached
    return cached


def _fab_default_label(key):
    """The label FAB makes up for a column no screen labels (``BaseView._prettify_column``)."""
    return re.sub("[._]", " ", key).title()


def table_label(table):
    return _labels().get(table, (TABLE_LABELS.get(table, table), {}))[0]


def field_label(table, key):
    labels = _labels()
    fields = labels.get(table, (None, CANDIDATE_LABELS))[1]
    # FIELD_LABELS first: FAB fills the views' label_columns with "Candidate Id"-style names.
    return (FIELD_LABELS.get(key) or fields.get(key) or EVENT_LABELS.get(key)
            or labels["*"][1].get(key) or key)


def user_text(username):
    """The audit row's user: writes no user made read as the system's, a candidate's own
    (``candidate:<id>``, app/selfservice) as the candidate's."""
    if username in (None, SYSTEM):
        return _l("System")
    if username.startswith(CANDIDATE_ACTOR):
        ident = username[len(CANDIDATE_ACTOR):]
        name = db.session.execute(select(Candidate.name).where(
            Candidate.id == int(ident))).scalar_one_or_none() if ident.isdigit() else None
        return _("Candidate %(name)s (self-service)", name=name or ident)
    return username


def value_text(key, value, kind=None):
    """One recorded value as a clerk reads it: codes as their labels, 是/否, times to the second."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return "、".join(value_text(key, v, kind) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label('', k)}：{value_text(k, v, kind)}" for k, v in value.items())
    if key == "state":
        return str(STATE_LABELS.get(value, value))
    if key == "hukou":
        return place_name(value) or value
    if key == "category" and kind:
        table = codes.CANDIDATE_CATEGORIES.get(kind, ())
        return codes.label(table, value, lang=None, default=value)
    if key in CODE_TABLES:
        return codes.label(CODE_TABLES[key], value, lang=None, default=value)
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    return str(value)


def change_rows(entry, kind=None):
    """[(label, before, after)] of one audit row; a non-data event's details as (label, value, None)."""
    changes = entry.changes or {}
    if entry.action not in ("insert", "update", "delete"):
        return [(field_label(entry.table_name, k), value_text(k, v, kind), None)
                for k, v in changes.items()]
    return [(field_label(entry.table_name, k), value_text(k, pair[0], kind),
             value_text(k, pair[1], kind))
            for k, pair in changes.items() if isinstance(pair, (list, tuple)) and len(pair) == 2]


def changes_table(entry):
    """The show page's table of changed fields, before → after."""
    kind = _candidate_kind(entry.candidate_id)
    rows = change_rows(entry, kind)
    if not rows:
        return EMPTY
    event = entry.action not in ("insert", "update", "delete")
    head = (f"<tr><th>{escape(_('Field'))}</th><th>{escape(_('Value'))}</th></tr>" if event else
            f"<tr><th>{escape(_('Field'))}</th><th>{escape(_('Before'))}</th>"
            f"<th>{escape(_('After'))}</th></tr>")
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(before)}</td>"
        + ("" if event else f"<td>{escape(after)}</td>") + "</tr>"
        for label, before, after in rows)
    return Markup(f'<table class="table table-condensed audit-changes">{head}{body}</table>')


def summary(changes, table):
    """The list page's short form: the labels of the changed fields."""
    if not isinstance(changes, dict) or not changes:
        return EMPTY
    labels = [str(field_label(table, k)) for k in changes]
    shown = "、".join(labels[:6])
    return shown + ("…" if len(labels) > 6 else "")


def _candidate_kind(candidate_id):
    if not candidate_id:
        return None
    return db.session.execute(select(Exam.kind).join(Candidate, Candidate.exam_id == Exam.id)
                              .where(Candidate.id == candidate_id)).scalar_one_or_none()


def remember_page(entries):
    """Load the names of the candidates and units of one list page in two queries; the list
    formatters read them from the request (``candidate_text`` / ``unit_text``)."""
    ids = {e.candidate_id for e in entries if e.candidate_id}
    paths = {e.node_path for e in entries if e.node_path}
    names = {}
    if ids:
        names = {cid: (name, unit) for cid, name, unit in db.session.execute(
            select(Candidate.id, Candidate.name, Node.name)
            .join(Node, Node.id == Candidate.node_id).where(Candidate.id.in_(ids)))}
    units = {}
    if paths:
        units = dict(db.session.execute(
            select(Node.path, Node.name).where(Node.path.in_(paths))).all())
    g.ks_audit_page = {"candidates": names, "units": units}


def candidate_text(candidate_id):
    if not candidate_id:
        return EMPTY
    known = getattr(g, "ks_audit_page", {}).get("candidates", {})
    if candidate_id in known:
        name, unit = known[candidate_id]
        return f"{name}（{unit}）"
    return _("Candidate no. %(id)s (deleted)", id=candidate_id)


def unit_text(path):
    if not path:
        return EMPTY
    return getattr(g, "ks_audit_page", {}).get("units", {}).get(path) or path
