"""高考 archive records of a candidate: the physical examination (体检信息, one per candidate)
and integrity records (考试诚信记录, any number). Both are scoped and audited through their
candidate."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes as candidate_codes
from ..candidates.models import Candidate
from ..exams.models import Exam
from ..jurisdiction import Node
from ..security import KsUser
from . import codes


def _now():
    return dt.datetime.now()


class _ArchivePart:
    """Scoped and filed in the audit trail under the candidate's unit."""

    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class PhysicalExam(_ArchivePart, Model):
    """考生体格检查: the results of the paper 考生体格检查表, entered by the county's clerk.
    Columns follow the rows of the printed form (眼科, 内科, 外科, 耳鼻喉科, 口腔科, 辅助检查)."""

    __tablename__ = "ks_physical_exam"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    serial: Mapped[str | None] = mapped_column(String(20))  # 体检序号
    hospital: Mapped[str] = mapped_column(String(100), nullable=False)  # 体检医院
    exam_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    history: Mapped[str | None] = mapped_column(String(200))  # 既往病史
    # 眼科
    vision_naked_right: Mapped[float] = mapped_column(Float, nullable=False)
    vision_naked_left: Mapped[float] = mapped_column(Float, nullable=False)
    vision_corrected_right: Mapped[float | None] = mapped_column(Float)
    vision_corrected_left: Mapped[float | None] = mapped_column(Float)
    lens_right: Mapped[int | None] = mapped_column(Integer)  # 矫正度数, negative: myopia
    lens_left: Mapped[int | None] = mapped_column(Integer)
    colour_vision: Mapped[str] = mapped_column(String(1), nullable=False)  # codes.COLOUR_VISION
    eye_disease: Mapped[str | None] = mapped_column(String(100))
    # 内科
    bp_systolic: Mapped[int] = mapped_column(Integer, nullable=False)
    bp_diastolic: Mapped[int] = mapped_column(Integer, nullable=False)
    heart: Mapped[str | None] = mapped_column(String(100))
    lungs: Mapped[str | None] = mapped_column(String(100))
    abdomen: Mapped[str | None] = mapped_column(String(100))
    nervous: Mapped[str | None] = mapped_column(String(100))
    # 外科
    height: Mapped[float] = mapped_column(Float, nullable=False)  # cm
    weight: Mapped[float] = mapped_column(Float, nullable=False)  # kg
    skin: Mapped[str | None] = mapped_column(String(100))
    spine: Mapped[str | None] = mapped_column(String(100))
    limbs: Mapped[str | None] = mapped_column(String(100))
    # 耳鼻喉科
    hearing_right: Mapped[float] = mapped_column(Float, nullable=False)  # m
    hearing_left: Mapped[float] = mapped_column(Float, nullable=False)
    smell: Mapped[str] = mapped_column(String(1), nullable=False)  # codes.SMELL
    ent: Mapped[str | None] = mapped_column(String(100))
    # 口腔科
    lips_palate: Mapped[str | None] = mapped_column(String(100))
    teeth: Mapped[str | None] = mapped_column(String(100))
    # 辅助检查
    chest_xray: Mapped[str | None] = mapped_column(String(100))
    alt: Mapped[int | None] = mapped_column(Integer)  # 肝功能: ALT, U/L
    other: Mapped[str | None] = mapped_column(String(200))
    # 结论
    conclusion: Mapped[str] = mapped_column(String(1), nullable=False)  # codes.CONCLUSIONS
    restrictions: Mapped[str | None] = mapped_column(String(60))  # "21,24": codes.RESTRICTIONS
    doctor: Mapped[str] = mapped_column(String(40), nullable=False)  # 主检医师
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    # 校对 / 确认 (physical_workflow.py): entered → proofread → confirmed; a change of the
    # results sends it back to entered. ``changed_*``: who last entered or changed the results
    # (the proofreader must be someone else); the report screens compare ``changed_at``.
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="entered",
                                       server_default="entered", index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    proofread_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    proofread_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reopen_reason: Mapped[str | None] = mapped_column(String(200))

    candidate: Mapped[Candidate] = relationship(Candidate)
    changed_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[changed_by_id])
    proofread_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[proofread_by_id])
    confirmed_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[confirmed_by_id])

    @property
    def restriction_list(self):
        return [c for c in (self.restrictions or "").split(",") if c]

    @restriction_list.setter
    def restriction_list(self, values):
        order = [c for c, _zh, _en in codes.RESTRICTIONS]
        chosen = sorted(set(values or ()), key=order.index)
        self.restrictions = ",".join(chosen) or None

    @property
    def colour_vision_label(self):
        return candidate_codes.label(codes.COLOUR_VISION, self.colour_vision, lang=None)

    @property
    def smell_label(self):
        return candidate_codes.label(codes.SMELL, self.smell, lang=None)

    @property
    def conclusion_label(self):
        return candidate_codes.label(codes.CONCLUSIONS, self.conclusion, lang=None)

    @property
    def restrictions_label(self):
        return "；".join(candidate_codes.label(codes.RESTRICTIONS, c, lang=None, default=c)
                        for c in self.restriction_list)

    def __repr__(self):
        return f"{self.candidate}"


class IntegrityRecord(_ArchivePart, Model):
    """考试诚信记录: a violation of the exam rules found against the candidate and the
    decision taken (国家教育考试违规处理办法), recorded by the county or city office."""

    __tablename__ = "ks_integrity_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(2), nullable=False)  # codes.VIOLATION_KINDS
    description: Mapped[str] = mapped_column(String(1000), nullable=False)
    decision: Mapped[str] = mapped_column(String(500), nullable=False)  # 处理决定
    document_number: Mapped[str | None] = mapped_column(String(60))  # 处理决定文号
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    @property
    def kind_label(self):
        return candidate_codes.label(codes.VIOLATION_KINDS, self.kind, lang=None)

    def __repr__(self):
        return f"{self.candidate} {self.occurred_on}"


class PhysicalReport(Model):
    """体检结果上报: a county's report of its confirmed results of one exam to the city, or a
    city's (once its counties reported) to the province. ``snapshot`` holds the counts as
    reported; a later report of the same unit supersedes it (physical_workflow.py)."""

    __tablename__ = "ks_physical_report"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False)
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    confirmed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    return_reason: Mapped[str | None] = mapped_column(String(500))

    node: Mapped[Node] = relationship(Node)
    exam: Mapped[Exam] = relationship(Exam)
    submitted_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[submitted_by_id])
    decided_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_ks_physical_report_unit", "node_id", "exam_id", "submitted_at"),)

    def audit_node_path(self):
        return self.node.path if self.node else None

    @property
    def name(self):
        return self.node.name if self.node else ""

    def __repr__(self):
        return f"{self.name} {self.submitted_at:%Y-%m-%d %H:%M}" if self.submitted_at else self.name
