"""How the audit trail (审计日志) reads to an auditor: actions, records and fields by their
Chinese labels, codes as their labels, and the candidate and unit each row concerns.

The labels come from where the screens already define them (each model view's
``label_columns`` and title), so a field is named in the audit log as on its own screen.
Names of candidates and units are loaded for a whole list page at once (``remember_page``),
never one query per row.
"""
import datetime as dt

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
}
# Records without a screen of their own (or whose screen title is not the record's name).
TABLE_LABELS = {
    "ks_candidate": _l("Candidate"), "ab_user": _l("User"), "ab_role": _l("Role"),
    "ks_candidate_account": _l("Candidate account"), "ks_review_event": _l("Review"),
    "ks_preference": _l("Preferences"),
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
}
SYSTEM = "system"  # the actor name of writes no user made (app/audit.py)
# Keys of the details of non-data events (print, export…).
EVENT_LABELS = {
    "kind": _l("Form"), "code": _l("Verification code"), "count": _l("Records"),
    "rows": _l("Rows"), "format": _l("Format"), "batch_id": _l("Batch"),
    "candidate_id": _l("Candidate"), "node_id": _l("Unit"), "filters": _l("Filters"),
    "self_service": _l("By the candidate"), "event": _l("Event"), "version": _l("Version"),
}
CODE_TABLES = {
    "gender": codes.GENDERS, "ethnicity": codes.ETHNICITIES,
    "political_status": codes.POLITICAL_STATUS, "relation": codes.GUARDIAN_RELATIONS,
    "foreign_language": codes.FOREIGN_LANGUAGES, "education_level": codes.EDUCATION_LEVELS,
    "occupation": codes.OCCUPATIONS, "study_form": codes.STUDY_FORMS,
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
            fields.setdefault(table, {}).setdefault(key, label)
    cached = {t: (TABLE_LABELS.get(t) or tables.get(t) or t, {**CANDIDATE_LABELS, **fields.get(t, {})})
              for t in {*tables, *fields, *TABLE_LABELS}}
    # Any screen's label of a field, for a row whose table is not known (the list's summary).
    cached["*"] = (None, {k: v for labels in fields.values() for k, v in labels.items()})
    current_app.extensions["ks_audit_labels"] = cached
    return cached


def table_label(table):
    return _labels().get(table, (TABLE_LABELS.get(table, table), {}))[0]


def field_label(table, key):
    labels = _labels()
    fields = labels.get(table, (None, CANDIDATE_LABELS))[1]
    # FIELD_LABELS first: FAB fills the views' label_columns with "Candidate Id"-style names.
    return (FIELD_LABELS.get(key) or fields.get(key) or EVENT_LABELS.get(key)
            or labels["*"][1].get(key) or key)


def user_text(username):
    """The audit row's user; writes no user made read as the system's."""
    return _l("System") if username in (None, SYSTEM) else username


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
