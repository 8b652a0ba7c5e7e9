"""成人高考 exam logistics as plain functions (seed 004 §四.9–12): exam-room allocation
(考室分配), ticket numbers (编排准考证号), the subject timetable of a paper group, and the
parsing of payment-platform rows (网上缴费结果). No app, database or request needed.

Allocation rules:
- candidates sit in their own exam area (考区: the county of their confirmation point, or the
  city for a point directly under a city) at that area's exam sites (考点), unless the city
  set a 参考范围 for the area and paper group (考区调整: sites of another county of the city);
- a room holds one paper group only (报考层次 + 科类; for 专升本 the 招生专业类 decides the
  paper), since each group sits different papers;
- groups in code order, candidates in 考生号 order (then ID number, then id), rooms in site
  code and room order, seats from 1: the same data always gives the same seats;
- seats already issued are kept (a re-run only fills free seats), unless the caller
  renumbers; a room never holds more candidates than its seats, and one seat one candidate.
"""
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from .. import codes
from ..refusals import Refused

HIGH_TO_BACHELOR, HIGH_TO_COLLEGE, COLLEGE_TO_BACHELOR = "01", "02", "03"
SEATS_PER_ROOM = 30  # the usual 成人高考 room
MAX_ROOMS, MAX_SEATS = 999, 99  # what the room (3 digits) and seat (2 digits) fields hold
SITE_CODE_RE = re.compile(r"[0-9]{2}")


class AllocationError(Refused):
    """Some candidates cannot be seated; ``problems`` lists every reason (translated)."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self):
        return str(_l("; ")).join(str(p) for p in self.problems)


@dataclass(frozen=True)
class Site:
    """An exam site as the allocation sees it. ``area``: the code of its exam area."""

    id: int
    area: str
    code: str
    rooms: int
    seats_per_room: int = SEATS_PER_ROOM
    name: str = ""


@dataclass(frozen=True)
class Seat:
    candidate_id: int
    site_id: int
    room: int
    seat: int
    group: str


@dataclass(frozen=True)
class Sitting:
    """A candidate to seat: ``order`` sorts candidates within a group (考生号, ID number…)."""

    candidate_id: int
    area: str
    group: str
    order: tuple = ()


# --- paper groups -----------------------------------------------------------------------------


def paper_group(level, track=None, major_category=None):
    """The key of the papers a candidate sits: ``01-2`` (高起本 理工类), ``03-09`` (专升本
    医学类). Foreign-language, arts and sports candidates of 高起本 / 高起专 sit the 文史 papers,
    but stay a group of their own (their rooms are kept apart, as exam offices do)."""
    second = major_category if level == COLLEGE_TO_BACHELOR else track
    return f"{level or ''}-{second or ''}"


def paper_groups():
    """Every paper group in code order: 高起本 and 高起专 by 科类, 专升本 by 招生专业类."""
    return [paper_group(level, track) for level in (HIGH_TO_BACHELOR, HIGH_TO_COLLEGE)
            for track, _zh, _en in codes.ADULT_TRACKS] + [
        paper_group(COLLEGE_TO_BACHELOR, None, major)
        for major, _zh, _en in codes.ADULT_MAJOR_CATEGORIES]


def group_label(group):
    """``高起本 理工类`` for ``01-2``."""
    level, _sep, second = group.partition("-")
    level_label = codes.label(codes.CANDIDATE_CATEGORIES[codes.ADULT], level, lang=None,
                              default=level)
    table = codes.ADULT_MAJOR_CATEGORIES if level == COLLEGE_TO_BACHELOR else codes.ADULT_TRACKS
    second_label = codes.label(table, second, lang=None, default=second) if second else ""
    return f"{level_label} {second_label}".strip()


# --- allocation -------------------------------------------------------------------------------


def sites_for(area, group, sites_by_area, site_by_id, ranges):
    """The sites where ``area``'s candidates of ``group`` sit: the 参考范围 the city set for
    the area and group, else its range for every group (``""``), else the area's own sites;
    in area, code and id order."""
    chosen = ranges.get((area, group)) or ranges.get((area, ""))
    if chosen:
        return sorted((site_by_id[i] for i in set(chosen) if i in site_by_id),
                      key=lambda s: (s.area, s.code, s.id))
    return sites_by_area.get(area, [])


def allocate(sittings, sites, taken=(), ranges=None):
    """Seats for ``sittings`` (candidates not yet seated) around the ``taken`` seats.

    ``ranges`` ({(area, group or ""): site ids}): the 参考范围 (考区调整) — the sites, possibly
    of another area, where an area's candidates of a group sit instead of their own area's.
    Returns the new seats, in order. Raises :class:`AllocationError` naming every area and
    group that does not fit, or a taken seat that no longer exists (a site made smaller).
    """
    ranges = ranges or {}
    sites_by_area = defaultdict(list)
    for site in sorted(sites, key=lambda s: (s.area, s.code, s.id)):
        sites_by_area[site.area].append(site)
    site_by_id = {s.id: s for s in sites}
    problems = []
    occupied = defaultdict(set)  # (site id, room) → seats taken
    room_group = {}  # (site id, room) → the group seated there
    for seat in taken:
        site = site_by_id.get(seat.site_id)
        key = (seat.site_id, seat.room)
        if site is None or not 1 <= seat.room <= site.rooms \
                or not 1 <= seat.seat <= site.seats_per_room or seat.seat in occupied[key]:
            problems.append(_l("A seat already issued (site %(site)s, room %(room)d, seat "
                               "%(seat)d) is no longer available at its site; renumber the "
                               "tickets or restore the site's rooms.",
                               site=site.name if site else seat.site_id, room=seat.room,
                               seat=seat.seat))
            continue
        occupied[key].add(seat.seat)
        room_group.setdefault(key, seat.group)
    by_area_group = defaultdict(list)
    for sitting in sittings:
        by_area_group[(sitting.area, sitting.group)].append(sitting)
    placed = []
    for (area, group), members in sorted(by_area_group.items()):
        members.sort(key=lambda s: (s.order, s.candidate_id))
        area_sites = sites_for(area, group, sites_by_area, site_by_id, ranges)
        free = _free_seats(area_sites, group, occupied, room_group)
        for sitting in members:
            spot = next(free, None)
            if spot is None:
                problems.append(_capacity_problem(area, group, members, area_sites))
                break
            site, room, number = spot
            occupied[(site.id, room)].add(number)
            room_group.setdefault((site.id, room), group)
            placed.append(Seat(sitting.candidate_id, site.id, room, number, group))
    if problems:
        raise AllocationError(problems)
    return placed


def _free_seats(area_sites, group, occupied, room_group):
    """Free seats for ``group``: first in the rooms it already holds, then in empty rooms,
    each in site, room and seat order. Lazily, so rooms are claimed only when needed."""
    rooms = [(site, room) for site in area_sites for room in range(1, site.rooms + 1)]
    for claimed in (True, False):
        for site, room in rooms:
            key = (site.id, room)
            holder = room_group.get(key)
            if (holder == group) if claimed else (holder is None):
                for number in range(1, site.seats_per_room + 1):
                    if number not in occupied[key] and room_group.get(key, group) == group:
                        yield site, room, number


def _capacity_problem(area, group, members, area_sites):
    if not area_sites:
        return _l("Exam area %(area)s has no exam site for its %(n)d candidates of "
                  "%(group)s: its county enters the exam sites first.",
                  area=area, n=len(members), group=group_label(group))
    return _l("Exam area %(area)s: not every one of its %(n)d new candidates of %(group)s "
              "has a seat: its exam sites have %(rooms)d rooms, each holding one group. Add "
              "rooms or exam sites.", area=area, n=len(members), group=group_label(group),
              rooms=sum(s.rooms for s in area_sites))


# --- ticket numbers ---------------------------------------------------------------------------


def ticket_number(year, area, site_code, room, seat):
    """准考证号: 2-digit year + exam area code (the 6-digit division code) + 2-digit site code
    + 3-digit room + 2-digit seat, e.g. ``26`` ``410102`` ``01`` ``003`` ``17`` →
    ``264101020100317`` (15 characters). Unique by construction within an exam."""
    return f"{year % 100:02d}{area}{site_code}{room:03d}{seat:02d}"


# --- timetable --------------------------------------------------------------------------------

#: The two-day national schedule (教育部's usual 成人高考 timetable): (day, start, end,
#: subject) per paper group; the subject of 专升本's third paper depends on the major
#: category. Staff can correct one ticket's timetable on 准考证管理.
_HIGH = ((0, "09:00", "11:00", "语文"), (0, "14:30", "16:30", "数学"),
         (1, "09:00", "11:00", "外语"))
_HIGH_COMBINED = ((1, "14:30", "17:00", "综合"),)
_BACHELOR = ((0, "09:00", "11:30", "政治"), (0, "14:30", "17:00", "外语"),
             (1, "14:30", "17:00", "专业基础课"))
#: 专升本 专业基础课 per 招生专业类 (codes.ADULT_MAJOR_CATEGORIES).
BASIC_COURSES = {"01": "大学语文", "02": "高等数学（二）", "03": "民法", "04": "教育理论",
                 "05": "艺术概论", "06": "大学语文", "07": "高等数学（一）", "08": "生态学基础",
                 "09": "医学综合"}
SCIENCE_TRACK = "2"


def timetable(first_day, group):
    """The subjects of ``group`` on the exam starting ``first_day``:
    ``[{"subject", "start", "end"}]`` with times ``YYYY-MM-DD HH:MM`` (the ticket's format)."""
    level, _sep, second = group.partition("-")
    if level == COLLEGE_TO_BACHELOR:
        rows = [(d, s, e, BASIC_COURSES.get(second, subject) if subject == "专业基础课"
                 else subject) for d, s, e, subject in _BACHELOR]
    else:
        science = second == SCIENCE_TRACK
        rows = [(d, s, e, f"数学（{'理' if science else '文'}）" if subject == "数学" else subject)
                for d, s, e, subject in _HIGH]
        if level == HIGH_TO_BACHELOR:
            rows += [(d, s, e, "理化综合" if science else "史地综合")
                     for d, s, e, _subject in _HIGH_COMBINED]
    out = []
    for day, start, end, subject in rows:
        date = (first_day + dt.timedelta(days=day)).isoformat()
        out.append({"subject": subject, "start": f"{date} {start}", "end": f"{date} {end}"})
    return out


# --- payment-platform rows --------------------------------------------------------------------

TRANSACTION_RE = re.compile(r"[0-9A-Za-z_\-]{4,64}")
MAX_AMOUNT = Decimal("10000")
_PAID_AT_RES = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
               r"(?:\.\d+)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(\d{1,2})[:时](\d{2})分?(?::(\d{2}))?秒?"),
)


def parse_amount(text):
    """``"70"``, ``"70.00"``, ``"¥70.5"`` → Decimal; None when not a positive amount in yuan
    with at most two decimals (up to 10,000)."""
    text = str(text or "").replace("¥", "").replace("￥", "").replace(",", "").replace("元", "")
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def parse_paid_at(text):
    """``2026-09-05 14:03:27`` (also ``/`` or ``.``, without seconds, ``20260905140327`` or
    ``2026年9月5日 14:03``) → datetime; None when it is not a time of day on a date."""
    text = " ".join(str(text or "").split())
    for pattern in _PAID_AT_RES:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.datetime(*(int(p) for p in match.groups() if p is not None))
            except ValueError:
                return None
    return None


def parse_transaction(text):
    """The platform's transaction id (交易流水号), 4–64 Latin letters, digits, ``_`` or
    ``-``; None otherwise."""
    text = "".join(str(text or "").split())
    return text if TRANSACTION_RE.fullmatch(text) else None
