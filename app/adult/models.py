"""成人高考 logistics records: payments (网上缴费, from the payment platform's result file), the
points' unpaid check (核实已确认未缴费考生), exam sites (考点) and the seats the numbering job
assigns (考室 / 座位)."""
import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Integer, Numeric, String,
                        UniqueConstraint)
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..candidates.models import Candidate
from ..exams.models import Exam
from ..job_records import JobRecord
from ..jurisdiction import Node
from .logistics import SEATS_PER_ROOM

#: States of an exam site (考点) and of an area's room allocation (考场编排), with labels.
SITE_PROPOSED, SITE_CITY_AGREED, SITE_APPROVED, SITE_RETURNED = (
    "proposed", "city_agreed", "approved", "returned")
SITE_STATES = {SITE_PROPOSED: _l("Proposed, awaiting the city"),
               SITE_CITY_AGREED: _l("Agreed by the city, awaiting the province"),
               SITE_APPROVED: _l("Approved"),
               SITE_RETURNED: _l("Returned for correction")}
ALLOC_OPEN, ALLOC_SUBMITTED, ALLOC_APPROVED, ALLOC_RETURNED = (
    "open", "submitted", "approved", "returned")
ALLOCATION_STATES = {ALLOC_OPEN: _l("Not submitted"),
                     ALLOC_SUBMITTED: _l("Submitted, awaiting the city"),
                     ALLOC_APPROVED: _l("Approved"),
                     ALLOC_RETURNED: _l("Returned for correction")}


def _now():
    return dt.datetime.now()


class _CandidatePart:
    __scope_parent__ = ("candidate_id", "Candidate")

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class AdultPayment(_CandidatePart, Model):
    """One candidate's paid registration fee, as reported by the payment platform. A
    candidate pays once; the platform's transaction id (交易流水号) is unique, so importing the
    same file again records nothing twice."""

    __tablename__ = "ks_adult_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    paid_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    transaction_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    source: Mapped[str | None] = mapped_column(String(255))  # the imported file's name
    imported_by: Mapped[int | None] = mapped_column(Integer)
    imported_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    __audited__ = True


#: Why a confirmed candidate has not paid (the point's unpaid check): a code table as in
#: candidates/codes.py, (code, 中文, English).
UNPAID_REASONS = (
    ("01", "考生自愿放弃报考", "The candidate has given up the registration"),
    ("02", "网上支付未成功", "Online payment failed"),
    ("03", "错过缴费时间", "Missed the payment deadline"),
    ("04", "无法联系考生", "The candidate cannot be reached"),
    ("99", "其他（须注明）", "Other (explain in the note)"),
)
OTHER_REASON = "99"


class UnpaidCheck(_CandidatePart, Model):
    """The point's record of why a candidate it confirmed has not paid (one per candidate,
    corrected in place; the audit log keeps earlier answers)."""

    __tablename__ = "ks_adult_unpaid_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    reason: Mapped[str] = mapped_column(String(2), nullable=False)
    note: Mapped[str | None] = mapped_column(String(200))
    checked_by: Mapped[int | None] = mapped_column(Integer)
    checked_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                    nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    __audited__ = True

    @property
    def reason_label(self):
        return codes.label(UNPAID_REASONS, self.reason, lang=None, default=self.reason)


class ExamSite(Model):
    """考点 of an exam area (a county, or a city for its own points), entered by the area's
    administrators. ``code`` (2 digits) is unique within the area and exam; it is part of the
    ticket numbers."""

    __tablename__ = "ks_exam_site"
    __table_args__ = (UniqueConstraint("exam_id", "node_id", "code", name="uq_ks_exam_site_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(2), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    contact: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    rooms: Mapped[int] = mapped_column(Integer, nullable=False)
    seats_per_room: Mapped[int] = mapped_column(Integer, default=SEATS_PER_ROOM,
                                                server_default=str(SEATS_PER_ROOM),
                                                nullable=False)
    # The approval chain (site_workflow.py): proposed by the area → agreed by the city →
    # approved by the province; returned with a reason at either step. A new site starts
    # proposed; rows entered before the chain existed were approved by the migration.
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=SITE_PROPOSED,
                                       server_default=SITE_APPROVED, index=True)
    return_reason: Mapped[str | None] = mapped_column(String(500))
    city_by_id: Mapped[int | None] = mapped_column(Integer)
    city_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    province_by_id: Mapped[int | None] = mapped_column(Integer)
    province_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node)

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def state_label(self):
        return SITE_STATES.get(self.state, self.state)

    @property
    def capacity(self):
        return self.rooms * self.seats_per_room

    @property
    def ticket_site(self):
        """How the 准考证 names the site: name and address."""
        return f"{self.name}（{self.address}）"[:200]

    def __repr__(self):
        return self.name


class SeatAssignment(_CandidatePart, Model):
    """The seat the numbering job gave a candidate; the 准考证 carries the printable copy.
    The unique key keeps two candidates off one seat whatever runs concurrently."""

    __tablename__ = "ks_adult_seat"
    __table_args__ = (UniqueConstraint("site_id", "room", "seat", name="uq_ks_adult_seat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("ks_exam_site.id"), nullable=False,
                                         index=True)
    room: Mapped[int] = mapped_column(Integer, nullable=False)
    seat: Mapped[int] = mapped_column(Integer, nullable=False)
    paper_group: Mapped[str] = mapped_column(String(10), nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)
    site: Mapped[ExamSite] = relationship(ExamSite)


class NumberingRun(JobRecord, Model):
    """One run of the ticket numbering (编排准考证号) by a province user: the job's record
    (status, progress, failure) and, when done, its summary (``result``: the counts of
    :class:`~app.adult.numbering.NumberingResult` and the problems that stopped it)."""

    __tablename__ = "ks_numbering_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id", ondelete="CASCADE"),
                                         nullable=False)
    renumber: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    result: Mapped[dict | None] = mapped_column(JSON)

    exam = relationship(Exam)


class SiteRange(Model):
    """参考范围 / 考区调整: the city's choice of the approved sites where the candidates of one
    exam area (``node``: a county, or a city for its own points) sit, for one paper group
    (``paper_group`` as logistics.paper_group; "" for every group of the area without a
    range of its own). The sites may be in another county of the city."""

    __tablename__ = "ks_adult_site_range"
    __table_args__ = (UniqueConstraint("exam_id", "node_id", "paper_group", "site_id",
                                       name="uq_ks_adult_site_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    paper_group: Mapped[str] = mapped_column(String(10), nullable=False, default="",
                                             server_default="")
    site_id: Mapped[int] = mapped_column(ForeignKey("ks_exam_site.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    set_by_id: Mapped[int | None] = mapped_column(Integer)
    set_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node)
    site: Mapped[ExamSite] = relationship(ExamSite)

    __audited__ = True

    @property
    def group_label(self):
        from .logistics import group_label

        return group_label(self.paper_group) if self.paper_group else _l("Every group")


class RoomAllocation(Model):
    """The room allocation (考场编排) of one exam area's sites after numbering: submitted by
    the area, approved by the city; the 考务 documents are generated only once approved. A
    numbering run that changes the area's seats sets it back to open."""

    __tablename__ = "ks_adult_room_allocation"
    __table_args__ = (UniqueConstraint("exam_id", "node_id", name="uq_ks_adult_room_allocation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=ALLOC_OPEN)
    reason: Mapped[str | None] = mapped_column(String(500))
    submitted_by_id: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(Integer)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node)

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def name(self):
        return self.node.name if self.node else ""

    @property
    def state_label(self):
        return ALLOCATION_STATES.get(self.state, self.state)


class ExamDocumentRun(JobRecord, Model):
    """One generation of the 考务资料 (seat lists, door stickers, sign-in sheets, site
    summaries) of the exam sites in a unit's subtree: a job record whose result is one PDF."""

    __tablename__ = "ks_adult_exam_doc_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id", ondelete="CASCADE"),
                                         nullable=False)
    # node_path (JobRecord): the unit whose sites it prints, inside the requester's subtree.
    result: Mapped[dict | None] = mapped_column(JSON)

    exam = relationship(Exam)
