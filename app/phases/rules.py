"""The one question every write path asks: is activity A open now for this candidate/unit?

An exam with no phase configured for an activity leaves that activity unrestricted (an exam
office switches time limits on by configuring the window), unless the setting
``PHASES_REQUIRED`` is true: then an activity without a window is closed. A phase restricted to a candidate
category applies to candidates of that category only; regions granted an extension (延时) use
the latest end granted to them or to any region above them.

A phase may also carry conditions (seed 004: in 长沙、株洲、衡阳、岳阳、怀化 the first days admit
only candidates whose 户籍 is local; points confirm 8:00–12:00 and 15:00–18:00):

- **regions**: the phase applies only to units inside them; for those units it replaces the
  exam's phases without regions (most specific wins, as a category's own window does);
- **户籍 condition** (``hukou_local``): the phase admits only candidates whose 户籍 division
  code lies in the city (first 4 digits) or county (all 6 digits) of their unit. It is asked
  where a candidate is named (``check_open_for`` and callers passing ``hukou=``); a check for a
  unit without a candidate (a unit-level page) is not refused by it;
- **daily hours**: open only inside the listed times of each day (from inclusive, to
  exclusive: "08:00-12:00" is open at 08:00 and 11:59, closed at 12:00).

An extension (延时) moves only the end: the extended days keep the phase's regions, 户籍
condition and hours.
"""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node, in_scope
from ..refusals import NotAllowed, Refused
from .models import ACTIVITIES, Phase, PhaseExtension

TZ = ZoneInfo("Asia/Shanghai")
#: ``hukou`` of a check that names no candidate (a unit-level check).
NO_CANDIDATE = object()
_HOURS_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*[-–~]\s*([01]?\d|2[0-4]):([0-5]\d)$")


class PhaseClosed(NotAllowed):
    """Raised with a translated message naming the window (403)."""


def now_local():
    # Stored windows are naive Asia/Shanghai wall-clock times, whatever the server's zone.
    return dt.datetime.now(TZ).replace(tzinfo=None)


def ancestor_paths(node):
    """The paths of ``node`` and every region above it."""
    parts = [p for p in node.path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def parse_hours(text):
    """``"08:00-12:00,15:00-18:00"`` → [(time, time)] in order; [] for empty text. Raises
    ValueError with a translated message for anything else (ranges must not overlap)."""
    text = (text or "").replace("，", ",").replace("：", ":").strip()
    if not text:
        return []
    ranges = []
    for part in (p.strip() for p in text.split(",")):
        m = _HOURS_RE.match(part)
        if m is None:
            raise ValueError(_l("“%(value)s” is not a time range; write the hours like "
                                "08:00-12:00,15:00-18:00.", value=part))
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h2 == 24 and m2:
            raise ValueError(_l("“%(value)s” is not a time range; write the hours like "
                                "08:00-12:00,15:00-18:00.", value=part))
        start = dt.time(h1, m1)
        end = dt.time.max if h2 == 24 else dt.time(h2, m2)
        if end <= start:
            raise ValueError(_l("In “%(value)s” the end is not after the start.", value=part))
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:]):
        if s2 < e1:
            raise ValueError(_l("The time ranges overlap."))
    return ranges


def format_hours(ranges):
    return ", ".join(f"{a.strftime('%H:%M')}–{'24:00' if b == dt.time.max else b.strftime('%H:%M')}"
                     for a, b in ranges)


def phase_hours(phase):
    """The phase's daily hours as [(time, time)]; [] when open all day (stored values were
    validated on the phase screen; an unreadable one closes the phase rather than opening it)."""
    try:
        return parse_hours(phase.hours)
    except ValueError:
        return [(dt.time(0, 0), dt.time(0, 0))]


def within_hours(phase, moment):
    ranges = phase_hours(phase)
    return not ranges or any(a <= moment.time() < b for a, b in ranges)


def _region_paths(phase):
    return [r.node.path for r in phase.regions]


def _covers(phase, node):
    paths = set(ancestor_paths(node))
    return any(p in paths for p in _region_paths(phase))


def _select(exam_id, activity, category, node):
    """(applicable, others): the phases that apply to ``category`` at ``node`` with their
    effective end, and, when none does, the exam's other windows for this activity (which
    then mean "closed here")."""
    stmt = select(Phase).where(Phase.exam_id == exam_id, Phase.activity == activity)
    phases = db.session.execute(stmt).scalars().all()
    if not phases:
        return [], []
    specific = [p for p in phases if p.category is not None and p.category == category]
    general = [p for p in phases if p.category is None]
    chosen = specific or general
    if chosen and node is not None and any(p.regions for p in chosen):
        covering = [p for p in chosen if p.regions and _covers(p, node)]
        chosen = covering or [p for p in chosen if not p.regions]
    if not chosen:
        return [], [(p, p.end) for p in phases]  # only other categories' / regions' windows
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
    return out, []


def windows(exam_id, activity, category=None, node=None):
    """[(phase, effective_end)] that apply; empty when the activity is not time-limited. When
    only other categories or regions have windows, those are returned (closed here)."""
    applicable, others = _select(exam_id, activity, category, node)
    return applicable or others


def hukou_region(node, scope):
    """The city or county node (per ``scope``) of the unit ``node``; for "county" a unit
    directly under a city falls back to its city."""
    if node is None:
        return None
    rows = db.session.execute(select(Node).where(Node.path.in_(ancestor_paths(node)),
                                                 Node.kind.in_((CITY, COUNTY)))).scalars().all()
    by_kind = {n.kind: n for n in rows}
    if scope == "county" and COUNTY in by_kind:
        return by_kind[COUNTY]
    return by_kind.get(CITY)


def hukou_is_local(hukou, node, scope):
    """Whether the 户籍 code ``hukou`` lies in the ``scope`` ("city": the first 4 digits,
    "county": all 6) of the unit ``node``. An empty 户籍 is not local."""
    region = hukou_region(node, scope)
    hukou = (hukou or "").strip()
    if region is None or len(hukou) != 6 or not hukou.isdigit():
        return False
    if region.kind == COUNTY:
        return hukou == region.code[:6]
    return hukou[:4] == region.code[:4]


def _admits(phase, node, hukou):
    if not phase.hukou_local or hukou is NO_CANDIDATE:
        return True
    return hukou_is_local(hukou, node, phase.hukou_local)


def _span(phase, end):
    return phase.start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M")


def check_open(activity, exam_id, category=None, node=None, now=None, hukou=NO_CANDIDATE):
    """Raise PhaseClosed unless ``activity`` is open now; return None when open.

    ``hukou``: the 户籍 code of the candidate the write concerns (None when unknown); leave it
    out for a check that names no candidate. The refusal names the window and says why: closed,
    outside the daily hours (named), or 户籍 not local."""
    applicable, others = _select(exam_id, activity, category, node)
    if not applicable and not others:
        if current_app.config.get("PHASES_REQUIRED", False):
            raise PhaseClosed(_l("%(activity)s is closed: no window is configured for this "
                                 "exam.", activity=ACTIVITIES.get(activity, activity)))
        return None
    now = now or now_local()
    label = ACTIVITIES.get(activity, activity)
    dated = [(p, end) for p, end in applicable if p.start <= now <= end]
    admitted = [(p, end) for p, end in dated if _admits(p, node, hukou)]
    if any(within_hours(p, now) for p, _end in admitted):
        return None
    if admitted:
        phase, end = admitted[0]
        start, end = _span(phase, end)
        raise PhaseClosed(_l(
            "%(activity)s is open only %(hours)s each day (Beijing time) in the window "
            "“%(name)s” (%(start)s – %(end)s); it is outside these hours now.",
            activity=label, hours=format_hours(phase_hours(phase)), name=phase.name,
            start=start, end=end))
    if dated:
        phase, end = dated[0]
        start, end = _span(phase, end)
        region = hukou_region(node, phase.hukou_local)
        later = sorted((p for p, _e in applicable if p.start > now and not p.hukou_local),
                       key=lambda p: p.start)
        message = _l(
            "%(activity)s: the window “%(name)s” (%(start)s – %(end)s) admits only candidates "
            "whose household registration (户籍) is in %(region)s; this candidate's is not.",
            activity=label, name=phase.name, start=start, end=end,
            region=region.name if region is not None else "—")
        if later:
            message = _l("%(message)s Every candidate may from %(start)s (Beijing time).",
                         message=message, start=later[0].start.strftime("%Y-%m-%d %H:%M"))
        raise PhaseClosed(message)
    pool = applicable or others
    upcoming = sorted((pe for pe in pool if pe[0].start > now), key=lambda pe: pe[0].start)
    phase, end = upcoming[0] if upcoming else pool[0]
    raise PhaseClosed(_l(
        "%(activity)s is not open now: the window is %(start)s – %(end)s (Beijing time).",
        activity=label, start=phase.start.strftime("%Y-%m-%d %H:%M"),
        end=end.strftime("%Y-%m-%d %H:%M")))


def check_open_for(activity, candidate, now=None):
    """The window check for one candidate (its exam, category and unit)."""
    return check_open(activity, candidate.exam_id or candidate.exam.id, candidate.category,
                      candidate.node, now, hukou=getattr(candidate, "hukou", NO_CANDIDATE))


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
