"""考点 (exam sites) of the 成人高考: county administrators (and the levels above) enter the sites
of their exam area with rooms and seats per room; the numbering job seats candidates there."""
from functools import partial

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import IntegerField
from wtforms.validators import DataRequired

from ..base_views import OfferedSelectField, ScopedModelView
from ..codes import ADULT
from ..exams.models import Exam
from ..exams.picker import active_exams
from ..extensions import db
from ..jurisdiction import Node, units_in_scope
from .logistics import MAX_ROOMS, MAX_SEATS, SEATS_PER_ROOM, SITE_CODE_RE
from .models import ExamSite, SeatAssignment
from .numbering import AREA_KINDS
from ..refusals import BadInput


def _areas():
    return [n for n in units_in_scope() if n.kind in AREA_KINDS]


def site_refusal(site, is_add):
    """Why ``site`` cannot be saved as it stands, or None (checked on every add and edit)."""
    if site.exam is None or site.exam.kind != ADULT:
        return _l("Choose an adult higher education entrance exam.")
    if site.node is None or site.node.kind not in AREA_KINDS:
        return _l("Choose the county (or the city, for its own confirmation points) the exam "
                  "site serves.")
    if not SITE_CODE_RE.fullmatch(site.code or ""):
        return _l("A site code has 2 digits (01–99); it is part of the ticket numbers.")
    if not 1 <= (site.rooms or 0) <= MAX_ROOMS:
        return _l("Enter between 1 and %(n)d rooms.", n=MAX_ROOMS)
    if not 1 <= (site.seats_per_room or 0) <= MAX_SEATS:
        return _l("Enter between 1 and %(n)d seats per room.", n=MAX_SEATS)
    same = select(ExamSite.id).where(ExamSite.exam_id == site.exam.id,
                                     ExamSite.node_id == site.node.id, ExamSite.code == site.code)
    if site.id is not None:
        same = same.where(ExamSite.id != site.id)
    if db.session.execute(same).first():
        return _l("%(area)s already has an exam site with code %(code)s in this exam.",
                  area=site.node.name, code=site.code)
    if not is_add:
        room, seat = db.session.execute(select(func.max(SeatAssignment.room),
                                               func.max(SeatAssignment.seat))
                                        .where(SeatAssignment.site_id == site.id)).one()
        if room is not None and (room > site.rooms or seat > site.seats_per_room):
            return _l("Seats up to room %(room)d, seat %(seat)d are issued at this site: "
                      "renumber the tickets before making it smaller.", room=room, seat=seat)
    return None


class ExamSiteView(ScopedModelView):
    datamodel = SQLAInterface(ExamSite)
    route_base = "/adult/sites"
    list_title = show_title = _l("Exam sites")
    add_title = _l("Add an exam site")
    edit_title = _l("Edit an exam site")
    list_columns = ["exam", "node", "code", "name", "address", "rooms", "seats_per_room",
                    "capacity"]
    show_columns = ["exam", "node", "code", "name", "address", "contact", "phone", "rooms",
                    "seats_per_room", "capacity"]
    add_columns = ["exam", "node", "code", "name", "address", "contact", "phone", "rooms",
                   "seats_per_room"]
    # Exam, area and code make the ticket numbers: fixed once the site exists.
    edit_columns = ["name", "address", "contact", "phone", "rooms", "seats_per_room"]
    search_columns = ["code", "name", "address"]
    order_columns = ["code", "name", "rooms"]
    base_order = ("code", "asc")
    label_columns = {
        "exam": _l("Exam"), "node": _l("Exam area"), "code": _l("Site code"),
        "name": _l("Site name"), "address": _l("Address"), "contact": _l("Contact person"),
        "phone": _l("Contact phone"), "rooms": _l("Rooms"),
        "seats_per_room": _l("Seats per room"), "capacity": _l("Seats"),
    }
    description_columns = {
        "node": _l("The county whose candidates sit here (a city for the candidates of its "
                   "own confirmation points)."),
        "code": _l("2 digits, unique in the exam area; part of every ticket number."),
        "seats_per_room": _l("Usually 30."),
    }
    add_form_extra_fields = {
        "exam": OfferedSelectField(_l("Exam"), Exam, partial(active_exams, ADULT), validators=[DataRequired()]),
        "node": OfferedSelectField(_l("Exam area"), Node, _areas,
                                   validators=[DataRequired()]),
        "seats_per_room": IntegerField(_l("Seats per room"), default=SEATS_PER_ROOM,
                                       validators=[DataRequired()]),
    }

    def guard(self, item, is_add):
        if is_add:
            item.code = (item.code or "").strip()
        if item.node is not None:
            super().guard(item, is_add)  # the scope first: nothing is said of another area
        refusal = site_refusal(item, is_add)
        if refusal is not None:
            raise BadInput(refusal)

    def pre_delete(self, item):
        if db.session.execute(select(SeatAssignment.id).where(
                SeatAssignment.site_id == item.id)).first():
            raise BadInput(_l("Candidates are seated at this site: renumber the tickets "
                                "before deleting it."))
        super().pre_delete(item)
