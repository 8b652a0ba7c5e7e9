"""编排准考证号 and 考室分配 against the database: who is seated (paid candidates confirmed on
site), where (the exam sites of their area), and the 准考证 rows written from the seats.

Everything is computed first (``logistics.allocate``); when any area or group does not fit,
or a generated number is held by a ticket issued by hand, nothing is written and the problems
are returned. Otherwise each exam area is written in its own transaction (delete on renumber,
insert seats and tickets, one audit row), so a retry after a failure re-runs cleanly: seats
already committed are kept like any issued seat.
"""
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select

from ..audit import AuditLog
from ..candidates import documents
from ..candidates.models import Candidate, Preference
from ..extensions import db
from ..printing.models import AdmissionTicket
from ..jurisdiction import CITY, COUNTY, Node, scope_clause, subtree_range
from ..phases.rules import ancestor_paths
from . import exemption
from .logistics import (AllocationError, Seat, Site, Sitting, allocate, paper_group,
                        ticket_number, timetable)
from .models import SITE_APPROVED, AdultPayment, ExamSite, SeatAssignment, SiteRange
from .payments import CONFIRMED_ON_SITE
from .site_workflow import reopen_allocations, unapproved_sites

AREA_KINDS = (COUNTY, CITY)
_IN_CHUNK = 900  # ids per IN (…) list: well inside SQLite's bound-parameter limit


@dataclass
class NumberingResult:
    problems: list = field(default_factory=list)
    areas: int = 0
    seated: int = 0  # new seats
    kept: int = 0  # seats issued before and kept
    tickets: int = 0  # 准考证 rows written
    removed: int = 0  # tickets removed by renumbering
    by_hand: int = 0  # eligible candidates holding a ticket issued by hand (left alone)
    not_eligible: int = 0  # kept seats of candidates no longer paid or confirmed

    def as_dict(self):
        return {**self.__dict__, "problems": [str(p) for p in self.problems]}


def area_paths(node):
    """{path: area node} of the exam areas (counties, and cities for their own points) in
    ``node``'s subtree or above it."""
    nodes = db.session.execute(select(Node).where(
        Node.kind.in_(AREA_KINDS),
        subtree_range(Node.path, node.path) | Node.path.in_(ancestor_paths(node)))).scalars()
    return {n.path: n for n in nodes}


def area_of(path, areas, cache):
    """The exam area of the unit at ``path``: its county, or its city for a unit directly
    under a city (the longest area path above it). ``cache`` memoises per unit path."""
    if path not in cache:
        cache[path] = max((p for p in areas if path.startswith(p)), key=len, default=None)
    found = cache[path]
    return areas[found] if found else None


def run_numbering(exam, node, user, renumber=False, progress=None):
    """Seat the eligible candidates of ``exam`` in ``node``'s subtree and write their tickets.
    Returns a NumberingResult (with ``problems`` and no writes when they do not fit)."""
    result = NumberingResult()
    if exam.exam_date is None:
        result.problems.append(_l("Enter the first exam day of %(exam)s (考试管理 → 考试) "
                                  "before numbering tickets: the timetable is laid on it.",
                                  exam=exam.name))
        return result
    areas = area_paths(node)
    # Only approved sites seat candidates: a site still under review stops the run (its
    # rooms may change), named so the city or province can decide on it.
    for site in unapproved_sites(exam.id, node):
        result.problems.append(_l("Exam site %(name)s (%(area)s, code %(code)s) is not "
                                  "approved yet (%(state)s): the city and the province decide "
                                  "on it before the numbering.", name=site.name,
                                  area=site.node.name, code=site.code, state=site.state_label))
    if result.problems:
        return result
    sites = db.session.execute(select(ExamSite).join(Node, Node.id == ExamSite.node_id).where(
        ExamSite.exam_id == exam.id, ExamSite.state == SITE_APPROVED,
        scope_clause(ExamSite, node))).scalars().all()
    ranges = site_ranges(exam.id, node)
    site_rows = {s.id: s for s in sites}
    plain_sites = [Site(s.id, s.node.code, s.code, s.rooms, s.seats_per_room, s.name)
                   for s in sites]
    eligible = _eligible(exam, node, areas)
    seats = db.session.execute(select(SeatAssignment).join(ExamSite).where(
        ExamSite.exam_id == exam.id, scope_clause(ExamSite, node))).scalars().all()
    tickets = dict(db.session.execute(
        select(AdmissionTicket.candidate_id, AdmissionTicket.ticket_number)
        .join(Candidate, Candidate.id == AdmissionTicket.candidate_id)
        .where(Candidate.exam_id == exam.id, scope_clause(Candidate, node))).all())
    seated = {s.candidate_id: s for s in seats}
    if renumber:
        replaced = set(seated) | {cid for cid in eligible if cid in tickets}
        taken, to_seat = [], list(eligible.values())
    else:
        replaced = set()
        taken = [Seat(s.candidate_id, s.site_id, s.room, s.seat, s.paper_group) for s in seats]
        result.kept = len(taken)
        result.not_eligible = sum(1 for cid in seated if cid not in eligible)
        result.by_hand = sum(1 for cid in eligible if cid in tickets and cid not in seated)
        to_seat = [s for cid, s in eligible.items() if cid not in seated and cid not in tickets]
    try:
        new_seats = allocate(to_seat, plain_sites, taken, ranges)
    except AllocationError as exc:
        result.problems += exc.problems
        return result
    # Tickets: for every new seat, and for kept seats whose ticket was deleted by hand.
    to_ticket = new_seats + [t for t in taken if t.candidate_id in eligible
                             and t.candidate_id not in tickets]
    numbers = {seat.candidate_id: ticket_number(exam.year, site_rows[seat.site_id].node.code,
                                                site_rows[seat.site_id].code, seat.room,
                                                seat.seat) for seat in to_ticket}
    clash = _held_elsewhere(numbers, replaced)
    if clash:
        result.problems.append(_l(
            "Ticket numbers %(numbers)s are already held by tickets issued by hand; change or "
            "delete those tickets (准考证管理) and run the numbering again.",
            numbers="、".join(sorted(clash)[:10])))
        return result
    by_area = defaultdict(lambda: {"seats": [], "tickets": [], "replaced": [], "areas": []})
    for seat in new_seats:
        by_area[site_rows[seat.site_id].node.path]["seats"].append(seat)
    for seat in to_ticket:
        by_area[site_rows[seat.site_id].node.path]["tickets"].append(seat)
    for cid in replaced:
        path = site_rows[seated[cid].site_id].node.path if cid in seated \
            else eligible[cid].area_path
        by_area[path]["replaced"].append(cid)
        if path in areas:
            by_area[path]["areas"].append(areas[path].id)
    result.areas = len(by_area)
    for index, (path, work) in enumerate(sorted(by_area.items()), 1):
        _write_area(exam, user, path, work, site_rows, numbers, renumber, result)
        if progress is not None:
            progress(index, len(by_area), areas[path].name if path in areas else path)
    return result


def site_ranges(exam_id, node):
    """{(area code, paper group or ""): [site ids]}: the 参考范围 the cities set for the exam
    areas of ``node``'s subtree (logistics.allocate reads it)."""
    out = defaultdict(list)
    for area, group, site_id in db.session.execute(
            select(Node.code, SiteRange.paper_group, SiteRange.site_id)
            .join(Node, Node.id == SiteRange.node_id)
            .where(SiteRange.exam_id == exam_id, scope_clause(SiteRange, node))):
        out[(area, group or "")].append(site_id)
    return dict(out)


@dataclass(frozen=True)
class _Eligible(Sitting):
    area_path: str = ""


def _eligible(exam, node, areas):
    """{candidate id: Sitting} of the paid candidates confirmed on site whose document counts
    (candidates/documents.py), with their area and paper group (from the first preference;
    the level alone without one)."""
    rows = db.session.execute(
        select(Candidate.id, Candidate.candidate_number, Candidate.id_number, Candidate.category,
               Node.path, Preference.level, Preference.track, Preference.major_category)
        .join(Node, Node.id == Candidate.node_id)
        .join(AdultPayment, AdultPayment.candidate_id == Candidate.id)
        .outerjoin(Preference, (Preference.candidate_id == Candidate.id) & (Preference.seq == 1))
        .where(Candidate.exam_id == exam.id, Candidate.state.in_(CONFIRMED_ON_SITE),
               documents.cleared_clause(),  # a permit or passport counts once the city approved it
               ~exemption.exempt_clause(),  # 免试入学: admitted without sitting the exam
               scope_clause(Candidate, node))).all()
    out, cache = {}, {}
    for cid, number, id_number, category, path, level, track, major in rows:
        area = area_of(path, areas, cache)
        out[cid] = _Eligible(cid, area.code if area else "", paper_group(
            level or category, track, major), (number or "", id_number),
            area.path if area else "")
    return out


def _held_elsewhere(numbers, replaced):
    """The generated numbers already on a ticket that this run does not replace."""
    wanted = {n: cid for cid, n in numbers.items()}
    held = set()
    values = list(wanted)
    for start in range(0, len(values), _IN_CHUNK):
        for number, cid in db.session.execute(
                select(AdmissionTicket.ticket_number, AdmissionTicket.candidate_id).where(
                    AdmissionTicket.ticket_number.in_(values[start:start + _IN_CHUNK]))):
            if cid not in replaced:
                held.add(number)
    return held


def _write_area(exam, user, path, work, site_rows, numbers, renumber, result):
    conn = db.session.connection()
    replaced = work["replaced"]
    for start in range(0, len(replaced), _IN_CHUNK):
        chunk = replaced[start:start + _IN_CHUNK]
        conn.execute(delete(SeatAssignment.__table__).where(
            SeatAssignment.candidate_id.in_(chunk)))
        result.removed += conn.execute(delete(AdmissionTicket.__table__).where(
            AdmissionTicket.candidate_id.in_(chunk))).rowcount
    if work["seats"]:
        conn.execute(insert(SeatAssignment.__table__), [
            {"candidate_id": s.candidate_id, "site_id": s.site_id, "room": s.room,
             "seat": s.seat, "paper_group": s.group} for s in work["seats"]])
    now = dt.datetime.now()
    if work["tickets"]:
        conn.execute(insert(AdmissionTicket.__table__), [
            {"candidate_id": s.candidate_id, "ticket_number": numbers[s.candidate_id],
             "site": site_rows[s.site_id].ticket_site, "room": f"{s.room:03d}",
             "seat": f"{s.seat:02d}", "timetable": timetable(exam.exam_date, s.group),
             "created_on": now} for s in work["tickets"]])
    # Its seats changed: the area's room allocation goes back to the area and the city.
    reopened = reopen_allocations(conn, exam.id, [site_rows[s.site_id].node_id
                                                  for s in work["seats"]] + work["areas"]) \
        if work["seats"] or replaced else 0
    # One audit row per area names what the job wrote (the tickets are rows of their own).
    conn.execute(insert(AuditLog.__table__), [{
        "at": now, "user_id": user.id, "username": user.username, "action": "numbering",
        "table_name": AdmissionTicket.__tablename__, "node_path": path,
        "reason": "renumber" if renumber else None,
        "changes": {"exam": exam.id, "seated": len(work["seats"]),
                    "tickets": sorted(numbers[s.candidate_id] for s in work["tickets"]),
                    "removed": len(replaced), "allocation_reopened": reopened}}])
    db.session.commit()
    result.seated += len(work["seats"])
    result.tickets += len(work["tickets"])
