"""考点 (exam sites) of the 成人高考: the exam areas (county administrators, a city for its own
points) propose the sites of their area with rooms and seats per room, the city agrees and the
province approves (site_workflow.py); the city sets each area's 参考范围 (SiteRangeView); the
numbering job seats candidates at approved sites only."""
from functools import partial

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired

from ..base_views import CodedInterface, OfferedSelectField, ScopedModelView
from ..codes import ADULT
from ..exams.models import Exam
from ..exams.picker import active_exams
from ..extensions import db
from ..jurisdiction import CITY, Node, get_scoped_or_404, scoped, units_in_scope
from ..refusals import BadInput, NotAllowed, Refused
from ..security import CITY_ADMIN, PROVINCE_ADMIN
from .logistics import (MAX_ROOMS, MAX_SEATS, SEATS_PER_ROOM, SITE_CODE_RE, group_label,
                        paper_groups)
from .models import SITE_APPROVED, SITE_STATES, ExamSite, SeatAssignment, SiteRange
from .numbering import AREA_KINDS
from .site_workflow import decide_site, save_site, site_steps


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
    datamodel = CodedInterface(ExamSite, coded=("state",))
    route_base = "/adult/sites"
    list_title = show_title = _l("Exam sites")
    add_title = _l("Add an exam site")
    edit_title = _l("Edit an exam site")
    show_template = "adult/site_show.html"
    list_columns = ["exam", "node", "code", "name", "address", "rooms", "seats_per_room",
                    "capacity", "state_label"]
    show_columns = ["exam", "node", "code", "name", "address", "contact", "phone", "rooms",
                    "seats_per_room", "capacity", "state_label", "return_reason"]
    add_columns = ["exam", "node", "code", "name", "address", "contact", "phone", "rooms",
                   "seats_per_room"]
    # Exam, area and code make the ticket numbers: fixed once the site exists.
    edit_columns = ["name", "address", "contact", "phone", "rooms", "seats_per_room"]
    search_columns = ["code", "name", "address", "state"]
    # The city and the province find the sites awaiting them by state.
    search_form_extra_fields = {"state": SelectField(
        _l("State"), choices=list(SITE_STATES.items()), validators=[DataRequired()],
        widget=Select2Widget())}
    order_columns = ["code", "name", "rooms", "state"]
    base_order = ("code", "asc")
    label_columns = {
        "exam": _l("Exam"), "node": _l("Exam area"), "code": _l("Site code"),
        "name": _l("Site name"), "address": _l("Address"), "contact": _l("Contact person"),
        "phone": _l("Contact phone"), "rooms": _l("Rooms"),
        "seats_per_room": _l("Seats per room"), "capacity": _l("Seats"),
        "state": _l("State"), "state_label": _l("State"), "return_reason": _l("Return reason"),
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
        # A new site, or a pending one changed, goes (back) to the city; an approved one only
        # when its rooms or seats per room change (name and contact details are not reviewed).
        state = inspect(item)
        save_site(item, g.user, is_add or any(
            state.attrs[col].history.has_changes() for col in ("rooms", "seats_per_room",
                                                              "name", "address")))

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        site = get_scoped_or_404(ExamSite, pk)
        g.ks_site_steps = [(t, refusal) for t, refusal in site_steps(site, g.user)]
        g.ks_site = site
        return super().show(pk)

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        """One step of the approval chain on one site (the site's page posts it)."""
        site = get_scoped_or_404(ExamSite, pk)
        try:
            decide_site(site, request.form.get("action", ""), g.user,
                        request.form.get("reason"), request.form.get("version"))
            db.session.commit()
            flash(_l("%(name)s: %(state)s.", name=site.name, state=site.state_label), "success")
        except StaleDataError:
            db.session.rollback()
            flash(_l("%(name)s was changed by someone else after you loaded the page; reload "
                     "and check again.", name=site.name), "danger")
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".show", pk=pk))

    def pre_delete(self, item):
        if db.session.execute(select(SeatAssignment.id).where(
                SeatAssignment.site_id == item.id)).first():
            raise BadInput(_l("Candidates are seated at this site: renumber the tickets "
                                "before deleting it."))
        # Out of every 参考范围 with it (each removal audited).
        for row in db.session.execute(select(SiteRange).where(
                SiteRange.site_id == item.id)).scalars():
            db.session.delete(row)
        super().pre_delete(item)


# --- 参考范围 / 考区调整 -------------------------------------------------------------------------


def city_of(node):
    """The city a unit belongs to (itself for a city); None above or without one."""
    while node is not None and node.kind != CITY:
        node = node.parent
    return node


def _approved_sites():
    return db.session.execute(scoped(select(ExamSite).join(Exam).where(
        ExamSite.state == SITE_APPROVED, Exam.active.is_(True), Exam.kind == ADULT), ExamSite)
        .order_by(ExamSite.node_id, ExamSite.code)).scalars().all()


def range_refusal(item):
    """Why the 参考范围 row cannot be saved, or None."""
    if item.exam is None or item.exam.kind != ADULT:
        return _l("Choose an adult higher education entrance exam.")
    if item.node is None or item.node.kind not in AREA_KINDS:
        return _l("Choose the county (or the city, for its own confirmation points) whose "
                  "candidates the range is for.")
    if item.paper_group and item.paper_group not in paper_groups():
        return _l("Choose a paper group.")
    site = item.site
    if site is None or site.exam_id != item.exam.id:
        return _l("Choose an exam site of this exam.")
    if not db.session.execute(select(ExamSite.id).where(
            ExamSite.id == site.id, ExamSite.state == SITE_APPROVED)).first():
        return _l("%(name)s is not approved yet: only approved sites can be in a range.",
                  name=site.name)
    city = city_of(item.node)
    if city is None or city_of(site.node) is not city:
        return _l("An exam area's candidates sit at the sites of its own city only.")
    same = select(SiteRange.id).where(
        SiteRange.exam_id == item.exam.id, SiteRange.node_id == item.node.id,
        SiteRange.paper_group == (item.paper_group or ""), SiteRange.site_id == site.id)
    if db.session.execute(same).first():
        return _l("This site is already in the range.")
    return None


class SiteRangeView(ScopedModelView):
    """参考范围 and 考区调整: the city chooses, per exam area and paper group, the approved sites
    where the area's candidates sit (sites of another county of the city too). Without a
    range an area's candidates sit at its own sites. Counties read their area's ranges."""

    datamodel = SQLAInterface(SiteRange)
    route_base = "/adult/site-ranges"
    list_title = show_title = _l("Exam site ranges")
    add_title = _l("Add a site to an exam area's range")
    list_columns = ["exam", "node", "group_label", "site", "set_on"]
    show_columns = ["exam", "node", "group_label", "site", "set_on"]
    add_columns = ["exam", "node", "paper_group", "site"]
    search_columns = ["paper_group"]
    order_columns = ["set_on"]
    base_order = ("id", "desc")
    exclude_route_methods = {"edit", "download"}
    label_columns = {"exam": _l("Exam"), "node": _l("Exam area"),
                     "paper_group": _l("Paper group"), "group_label": _l("Paper group"),
                     "site": _l("Exam site"), "set_on": _l("Set on")}
    description_columns = {
        "paper_group": _l("Level with subject track, or for 专升本 the major category; "
                          "“every group” covers the groups without a range of their own."),
        "site": _l("An approved site of the city, in this area or another county "
                   "(考区调整)."),
    }
    add_form_extra_fields = {
        "exam": OfferedSelectField(_l("Exam"), Exam, partial(active_exams, ADULT),
                                   validators=[DataRequired()]),
        "node": OfferedSelectField(_l("Exam area"), Node, _areas, validators=[DataRequired()]),
        "paper_group": SelectField(_l("Paper group"), choices=lambda: [
            ("", str(_l("Every group")))] + [(g_, group_label(g_)) for g_ in paper_groups()],
            default=""),
        "site": OfferedSelectField(_l("Exam site"), ExamSite, _approved_sites,
                                   validators=[DataRequired()]),
    }

    def guard(self, item, is_add):
        if not {r.name for r in g.user.roles} & {CITY_ADMIN, PROVINCE_ADMIN}:
            raise NotAllowed(_l("The city sets the exam areas' site ranges."))
        if item.node is not None:
            super().guard(item, is_add)
        if item.site is not None and not g.user.node.contains(item.site.node):
            raise NotAllowed(_l("That unit is outside your jurisdiction."))
        item.paper_group = item.paper_group or ""
        refusal = range_refusal(item)
        if refusal is not None:
            raise BadInput(refusal)
        item.set_by_id = g.user.id

    def pre_delete(self, item):
        if not {r.name for r in g.user.roles} & {CITY_ADMIN, PROVINCE_ADMIN}:
            raise NotAllowed(_l("The city sets the exam areas' site ranges."))
        super().pre_delete(item)
