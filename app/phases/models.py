"""Deadline phases (时间安排): per exam, activity and (optionally) candidate category, a window
in Asia/Shanghai local time; regions may be granted a later end (延时)."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..exams.models import Exam
from ..jurisdiction import Node

#: activities as data; every write path names one of these when it asks rules.check_open().
ACTIVITIES = {
    "self_registration": _l("Candidate online registration / completion"),
    "staff_entry": _l("Staff data entry and registry import"),
    "photo_capture": _l("Photo capture"),
    "school_review": _l("School review"),
    "county_review": _l("County review"),
    "city_review": _l("City review"),
    "province_review": _l("Province review"),
    "confirmation": _l("On-site confirmation and signing"),
    "preference": _l("Preference filling"),
    "gaokao_preference": _l("高考 preference filling (per batch)"),
    "user_setup": _l("Register users, bind groups, assign roles"),
    "point_setup": _l("Set up registration / confirmation points"),
    "payment": _l("Online payment"),
    "unpaid_check": _l("Check confirmed but unpaid candidates"),
    "exemption_review": _l("Exemption qualification review"),
    "bonus_entry": _l("Bonus points entry and data reporting"),
    "ticket_numbering": _l("Admission ticket numbering"),
    "ticket_print": _l("Admission ticket printing"),
}


class Phase(Model):
    """One window: ``activity`` for ``exam`` (and ``category`` when set) from start to end."""

    __tablename__ = "ks_phase"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    activity: Mapped[str] = mapped_column(String(30), nullable=False)
    category: Mapped[str | None] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    start: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    end: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    #: 户籍 condition (HUKOU_SCOPES): the window admits only candidates whose 户籍 code lies in
    #: the city (first 4 digits) or county (6 digits) of their unit; None: everyone.
    hukou_local: Mapped[str | None] = mapped_column(String(10))
    #: daily hours in Beijing time, "08:00-12:00,15:00-18:00" (from inclusive, to exclusive);
    #: None: all day.
    hours: Mapped[str | None] = mapped_column(String(100))
    exam: Mapped[Exam] = relationship(Exam)
    regions: Mapped[list["PhaseRegion"]] = relationship(
        "PhaseRegion", cascade="all, delete-orphan", back_populates="phase",
        order_by="PhaseRegion.id")

    __audited__ = True

    @property
    def activity_label(self):
        return ACTIVITIES.get(self.activity, self.activity)

    @property
    def category_label(self):
        if self.category is None:
            return _l("All categories")
        table = codes.CANDIDATE_CATEGORIES.get(self.exam.kind if self.exam else None, ())
        return codes.label(table, self.category, lang=None, default=self.category)

    @property
    def hukou_label(self):
        return HUKOU_SCOPES.get(self.hukou_local, self.hukou_local) if self.hukou_local \
            else _l("Everyone")

    @property
    def regions_label(self):
        return "、".join(r.node.name for r in self.regions) if self.regions else _l("Everywhere")

    @property
    def hours_label(self):
        return self.hours.replace(",", ", ") if self.hours else _l("All day")

    def __repr__(self):
        return self.name


#: 户籍 conditions of a phase: the candidate's 户籍 division code starts with the division
#: prefix of the city (4 digits) or equals the county (6 digits) of the candidate's unit.
HUKOU_SCOPES = {
    "city": _l("Household registration (户籍) in the city of the candidate's unit"),
    "county": _l("Household registration (户籍) in the county of the candidate's unit"),
}


class PhaseRegion(Model):
    """A region (a node and its subtree) a phase is restricted to. A phase with regions applies
    only to units inside them, and there it replaces the exam's phases without regions for the
    same activity and category (the most specific wins, as a category's own window does)."""

    __tablename__ = "ks_phase_region"
    __table_args__ = (UniqueConstraint("phase_id", "node_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("ks_phase.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    phase: Mapped[Phase] = relationship(Phase, back_populates="regions")
    node: Mapped[Node] = relationship(Node)

    __audited__ = True

    def __repr__(self):
        return self.node.name if self.node is not None else str(self.node_id)


class PhaseExtension(Model):
    """延时: a region (and its subtree) may act until ``new_end`` instead of the phase's end."""

    __tablename__ = "ks_phase_extension"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("ks_phase.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    new_end: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    granted_by: Mapped[int | None] = mapped_column(Integer)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now,
                                                    nullable=False)
    phase: Mapped[Phase] = relationship(Phase)
    node: Mapped[Node] = relationship(Node)

    __audited__ = True
