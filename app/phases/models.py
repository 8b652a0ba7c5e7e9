"""Deadline phases (时间安排): per exam, activity and (optionally) candidate category, a window
in Asia/Shanghai local time; regions may be granted a later end (延时)."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
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
    exam: Mapped[Exam] = relationship(Exam)

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

    def __repr__(self):
        return self.name


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
