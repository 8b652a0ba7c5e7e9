"""Home page: what the signed-in user is responsible for, counted in SQL within the subtree.

The progress table (报名进度) reads the counts the database keeps (``app/progress.py``), never
the candidate table, and shows each unit's completion as a bar: the share of its records
approved by the unit itself or a level above, i.e. the review the unit owes is done. A unit is
behind schedule when that share is below ``PROGRESS_BEHIND_BELOW`` percent (default 90) while
its review window ends within ``PROGRESS_BEHIND_DAYS`` days (default 3) or has ended.

The incident notice (突发事件通报, 市（州）要及时报告省) lists the open incidents of the user's
subtree: the unit's own and every one opened below it, so a county's incident is on the city's
and the province's home page from the moment it is opened, and one reported up (escalated)
comes first, marked for the unit it was reported to."""
import datetime as dt

from flask import current_app, g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .candidates.states import APPROVED, CITY_OK, COUNTY_OK, PROVINCE_OK, SCHOOL_OK, STATE_LABELS
from .candidates.views import UNIT_SUBTREE_ARG
from .exams.picker import active_exams
from .extensions import db
from .jurisdiction import CITY, COUNTY, KIND_LABELS, POINT, PROVINCE, SCHOOL, Node, scoped
from .phases.models import Phase, PhaseExtension
from .phases.rules import now_local
from .playbooks.models import Incident
from .playbooks.rules import on_notice
from .progress import PROGRESS_STATES, progress

#: kind of unit → (the phase of its review, the state its approval gives a record).
REVIEW_OF = {SCHOOL: ("school_review", SCHOOL_OK), POINT: ("school_review", SCHOOL_OK),
             COUNTY: ("county_review", COUNTY_OK), CITY: ("city_review", CITY_OK),
             PROVINCE: ("province_review", PROVINCE_OK)}


def subtree_counts(node):
    stmt = scoped(select(Node.kind, func.count()).group_by(Node.kind), Node, node)
    counts = dict(db.session.execute(stmt).all())
    return [(KIND_LABELS[k], counts.get(k, 0)) for k in KIND_LABELS]


def done_states(kind):
    """The states in which a record of a ``kind`` unit no longer waits for that unit."""
    return APPROVED[APPROVED.index(REVIEW_OF[kind][1]):]


def window_ends(exam_id, activity, units):
    """{unit id: the latest end of ``activity``'s windows for it} (extensions granted to the
    unit or a region above it included), for the windows of all categories (or of every
    category when there is none): two queries whatever the number of units. Units without a
    window are left out."""
    phases = db.session.execute(select(Phase).where(
        Phase.exam_id == exam_id, Phase.activity == activity)).scalars().all()
    phases = [p for p in phases if p.category is None] or phases
    if not phases:
        return {}
    ends = {p.id: p.end for p in phases}
    extensions = db.session.execute(
        select(PhaseExtension.phase_id, PhaseExtension.new_end, Node.path)
        .join(Node, Node.id == PhaseExtension.node_id)
        .where(PhaseExtension.phase_id.in_(ends))).all()
    result = {}
    for unit in units:
        extended = dict(ends)
        for phase_id, new_end, path in extensions:
            if unit.path.startswith(path) and new_end > extended[phase_id]:
                extended[phase_id] = new_end
        result[unit.id] = max(extended.values())
    return result


def _list_url(exam_id, unit, state=None):
    """The candidate list of ``unit``'s subtree for the exam (and ``state``)."""
    args = {"_flt_0_exam": exam_id, UNIT_SUBTREE_ARG: unit.id}
    if state is not None:
        args["_flt_0_state"] = state
    return url_for("CandidateView.list", **args)


def behind_settings():
    """(completion in percent below which, days before the window end within which) a unit
    is behind schedule."""
    config = current_app.config
    return config.get("PROGRESS_BEHIND_BELOW", 90), config.get("PROGRESS_BEHIND_DAYS", 3)


def _completion(done, total):
    return round(100.0 * done / total, 1) if total else None


def progress_bars(node, exam_id):
    """progress() with, per row, ``done`` and ``share`` (completion in percent, None without
    records), ``ends`` (the unit's review window end or None), ``behind`` and ``links``
    ({"total" or a state: list URL}); the totals with ``done``, ``share`` and ``links``."""
    rows, totals = progress(node, exam_id)
    below, days = behind_settings()
    soon = now_local() + dt.timedelta(days=days)
    ends = {}
    for activity in {REVIEW_OF[r["unit"].kind][0] for r in rows}:
        units = [r["unit"] for r in rows if REVIEW_OF[r["unit"].kind][0] == activity]
        ends.update(window_ends(exam_id, activity, units))
    for row in rows:
        unit = row["unit"]
        row["done"] = sum(row[s] for s in done_states(unit.kind))
        row["share"] = _completion(row["done"], row["total"])
        row["ends"] = ends.get(unit.id)
        row["behind"] = (row["share"] is not None and row["share"] < below
                         and row["ends"] is not None and row["ends"] <= soon)
        row["links"] = _links(exam_id, unit)
    totals["done"] = sum(r["done"] for r in rows)
    totals["share"] = _completion(totals["done"], totals["total"])
    totals["links"] = _links(exam_id, node)
    return rows, totals


def _links(exam_id, unit):
    return {"total": _list_url(exam_id, unit),
            **{s: _list_url(exam_id, unit, s) for s in PROGRESS_STATES}}


#: at most this many incidents on the notice; the incident list has them all.
NOTICE_MAX = 20


def incident_notice(node):
    """The open incidents of ``node``'s subtree, the latest opened or reported first, with
    their region, exam, opener and escalation loaded for the page at once."""
    latest = func.coalesce(Incident.escalated_on, Incident.opened_on)
    stmt = (scoped(select(Incident).where(on_notice()), Incident, node)
            .options(*(selectinload(getattr(Incident, r)) for r in (
                "node", "exam", "opened_by", "escalated_to", "escalated_by")))
            .order_by(latest.desc(), Incident.id.desc()).limit(NOTICE_MAX))
    return db.session.execute(stmt).scalars().all()


class DashboardIndexView(IndexView):
    index_template = "kaosheng/index.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))
        node = user.node
        exams = active_exams()
        below, days = behind_settings()
        sees_incidents = node is not None and self.appbuilder.sm.has_access(
            "can_list", "IncidentView")
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            node=node,
            counts=subtree_counts(node) if node is not None else [],
            exams=exams,
            progress={e.id: progress_bars(node, e.id) for e in exams} if node is not None else {},
            states=[(s, STATE_LABELS[s]) for s in PROGRESS_STATES],
            behind_below=below,
            behind_days=days,
            incidents=incident_notice(node) if sees_incidents else None,
        )
