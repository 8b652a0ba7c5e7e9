"""The one question every write path asks: is activity A open now for this candidate/unit?

An exam with no phase configured for an activity leaves that activity unrestricted (an exam
office switches time limits on by configuring the window), unless the setting
``PHASES_REQUIRED`` is true: then an activity without a window is closed. A phase restricted to a candidate
category applies to candidates of that category only; regions granted an extension (延时) use
the latest end granted to them or to any region above them.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..jurisdiction import CITY, PROVINCE, Node, in_scope
from ..refusals import NotAllowed, Refused
from .models import ACTIVITIES, Phase, PhaseExtension

TZ = ZoneInfo("Asia/Shanghai")


class PhaseClosed(NotAllowed):
    """Raised with a translated message naming the window (403)."""


def now_local():
    # Stored windows are naive Asia/Shanghai wall-clock times, whatever the server's zone.
    return dt.datetime.now(TZ).replace(tzinfo=None)


def ancestor_paths(node):
    """The paths of ``node`` and every region above it."""
    parts = [p for p in node.path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def windows(exam_id, activity, category=None, node=None):
    """[(phase, effective_end)] that apply; empty when the activity is not time-limited."""
    stmt = select(Phase).where(Phase.exam_id == exam_id, Phase.activity == activity)
    phases = db.session.execute(stmt).scalars().all()
    specific = [p for p in phases if p.category is not None and p.category == category]
    general = [p for p in phases if p.category is None]
    chosen = specific or general
    if not chosen and phases:
        return [(p, p.end) for p in phases]  # only other categories' windows: closed for this one
    out = []
    for phase in chosen:
        end = phase.end
        if node is not None:
            extended = db.session.execute(
                select(func.max(PhaseExtension.new_end)).join(Node, Node.id == PhaseExtension.node_id)
                .where(PhaseExtension.phase_id == phase.id, Node.path.in_(ancestor_paths(node)))
            ).scalar()
            if extended is not None and extended > end:
                end = extended
        out.append((phase, end))
    return out


def check_open(activity, exam_id, category=None, node=None, now=None):
    """Raise PhaseClosed unless ``activity`` is open now; return None when open."""
    found = windows(exam_id, activity, category, node)
    if not found:
        if current_app.config.get("PHASES_REQUIRED", False):
            raise PhaseClosed(_l("%(activity)s is closed: no window is configured for this "
                                 "exam.", activity=ACTIVITIES.get(activity, activity)))
        return None
    now = now or now_local()
    applicable = [(p, end) for p, end in found if p.category in (None, category)]
    if any(p.start <= now <= end for p, end in applicable):
        return None
    phase, end = (applicable or found)[0]
    raise PhaseClosed(_l(
        "%(activity)s is not open now: the window is %(start)s – %(end)s (Beijing time).",
        activity=ACTIVITIES.get(activity, activity),
        start=phase.start.strftime("%Y-%m-%d %H:%M"), end=end.strftime("%Y-%m-%d %H:%M")))


def check_open_for(activity, candidate, now=None):
    """The window check for one candidate (its exam, category and unit)."""
    return check_open(activity, candidate.exam_id or candidate.exam.id, candidate.category,
                      candidate.node, now)


def check_extension(user, extension):
    """The guard of every extension (延时), granted on the extension screen or by an incident's
    step: only a city or province administrator grants one, to a region of its subtree, with
    a reason, ending later than the phase does. Raises with a translated message."""
    if not in_scope(extension, user.node):
        raise NotAllowed(_l("That unit is outside your jurisdiction."))
    if user.node.kind not in (PROVINCE, CITY):
        raise NotAllowed(_l("Only a city or province administrator grants extensions."))
    if not (extension.reason or "").strip():
        raise Refused(_l("A reason is required."), status=422)
    if extension.phase is not None and extension.new_end <= extension.phase.end:
        raise Refused(_l("The extended end must be later than the phase's end."), status=422)


def grant_extension(user, phase, node, new_end, reason):
    """Grant ``node`` (and its subtree) ``phase`` until ``new_end``, through check_extension;
    the new row is added to the session (the caller commits)."""
    extension = PhaseExtension(phase=phase, node=node, new_end=new_end, reason=reason,
                               granted_by=user.id)
    check_extension(user, extension)
    db.session.add(extension)
    return extension


def is_open(activity, exam_id, category=None, node=None, now=None):
    try:
        check_open(activity, exam_id, category, node, now)
    except PhaseClosed:
        return False
    return True
