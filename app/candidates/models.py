"""The candidate record (考生信息) with guardians (监护人), study history (学习简历) and the
school's comprehensive quality evaluation (综合素质评定)."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..exams.models import Exam
from ..job_records import JobRecord
from ..jurisdiction import Node
from .privacy import display_id_number
from .states import STATE_LABELS


def _now():
    return dt.datetime.now()


class Candidate(Model):
    """考生. Belongs to one exam and one unit (school or registration point) of the tree."""

    __tablename__ = "ks_candidate"
    __table_args__ = (
        # One ID number at most once per exam across the province.
        UniqueConstraint("exam_id", "id_number", name="uq_ks_candidate_exam_id_number"),
        # 考生号: assigned by the exam office, unique within the exam when set. The number leads
        # the index, so a planner never takes it for an "exam_id = …" scan (the import's ID
        # lookups must use uq_ks_candidate_exam_id_number, even with stale statistics).
        UniqueConstraint("candidate_number", "exam_id", name="uq_ks_candidate_exam_number"),
        Index("ix_ks_candidate_node_exam", "node_id", "exam_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    gender: Mapped[str] = mapped_column(String(1), nullable=False)
    # 证件类型 (codes.ID_TYPES) and its number: an ID card or residence permit number, or the
    # number of a travel permit or passport (validators.validate_document_number).
    id_type: Mapped[str] = mapped_column(String(1), nullable=False, default="1",
                                         server_default="1")
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    birth_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    political_status: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(11))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(6))
    hukou: Mapped[str | None] = mapped_column(String(6))  # 户籍所在地 division code
    student_number: Mapped[str | None] = mapped_column(String(30))  # 学籍号
    candidate_number: Mapped[str | None] = mapped_column(String(20))  # 考生号
    class_name: Mapped[str | None] = mapped_column(String(30))  # 班级, for class-wise printing
    category: Mapped[str | None] = mapped_column(String(2))
    # 高考
    subject_track: Mapped[str | None] = mapped_column(String(2))
    foreign_language: Mapped[str | None] = mapped_column(String(2))
    graduation_school: Mapped[str | None] = mapped_column(String(100))
    # 成人高考
    education_level: Mapped[str | None] = mapped_column(String(2))
    occupation: Mapped[str | None] = mapped_column(String(2))
    work_start: Mapped[dt.date | None] = mapped_column(Date)
    candidate_feature: Mapped[str | None] = mapped_column(String(2))  # 考生特征
    enrolment_type: Mapped[str | None] = mapped_column(String(2))  # 招生类别
    study_form: Mapped[str | None] = mapped_column(String(1))  # 学习形式
    graduation_date: Mapped[dt.date | None] = mapped_column(Date)  # 毕业日期
    diploma_number: Mapped[str | None] = mapped_column(String(40))  # 毕业证书编号
    medical_license: Mapped[str | None] = mapped_column(String(40))  # 医学类执业资格证书编号
    remark: Mapped[str | None] = mapped_column(String(200))  # 备注
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                    nullable=False)
    # Review and lock (review/workflow.py owns the transitions).
    state: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft",
                                       nullable=False, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The record version the signed paper form was printed from: signing needs it current.
    printed_version: Mapped[int | None] = mapped_column(Integer)
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                         nullable=False)
    # Optimistic locking: concurrent reviewers never overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}

    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node)
    guardians: Mapped[list["Guardian"]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", order_by="Guardian.id")
    studies: Mapped[list["StudyHistory"]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", order_by="StudyHistory.start")
    evaluation: Mapped["QualityEvaluation | None"] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", uselist=False)
    preferences: Mapped[list["Preference"]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", order_by="Preference.seq")

    __audited__ = True
    __audit_exclude__ = ("changed_on", "version")

    @property
    def gender_label(self):
        return codes.label(codes.GENDERS, self.gender, lang=None)

    @property
    def ethnicity_label(self):
        return codes.label(codes.ETHNICITIES, self.ethnicity, lang=None)

    @property
    def political_status_label(self):
        return codes.label(codes.POLITICAL_STATUS, self.political_status, lang=None)

    @property
    def category_label(self):
        table = codes.CANDIDATE_CATEGORIES.get(self.exam.kind if self.exam else None, ())
        return codes.label(table, self.category, lang=None)

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def id_display(self):
        return display_id_number(self.id_number)

    def __repr__(self):
        return self.name


class _CandidatePart:
    """Rows that belong to a candidate are scoped through it, and are printed on its forms
    (a change moves the candidate's version: candidates/versioning.py)."""

    __scope_parent__ = ("candidate_id", "Candidate")
    __printed_part__ = True

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class Guardian(_CandidatePart, Model):
    """监护人."""

    __tablename__ = "ks_guardian"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    relation: Mapped[str] = mapped_column(String(2), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(11))
    work_unit: Mapped[str | None] = mapped_column(String(100))
    candidate: Mapped[Candidate] = relationship(back_populates="guardians")

    __audited__ = True

    @property
    def relation_label(self):
        return codes.label(codes.GUARDIAN_RELATIONS, self.relation, lang=None)

    def __repr__(self):
        return self.name


class StudyHistory(_CandidatePart, Model):
    """学习简历: one period at one school."""

    __tablename__ = "ks_study_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end: Mapped[dt.date | None] = mapped_column(Date)
    school: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str | None] = mapped_column(String(50))  # 担任职务
    candidate: Mapped[Candidate] = relationship(back_populates="studies")

    __audited__ = True

    def __repr__(self):
        return self.school


GRADES = (("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"))
EVALUATION_DIMENSIONS = {
    "morality": _l("Moral character"),
    "citizenship": _l("Civic literacy"),
    "learning": _l("Learning ability"),
    "cooperation": _l("Communication and cooperation"),
    "health": _l("Sport and health"),
    "aesthetics": _l("Aesthetics and expression"),
}


class QualityEvaluation(_CandidatePart, Model):
    """综合素质评定, entered by the school: a grade A–D per dimension."""

    __tablename__ = "ks_quality_evaluation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    morality: Mapped[str | None] = mapped_column(String(1))
    citizenship: Mapped[str | None] = mapped_column(String(1))
    learning: Mapped[str | None] = mapped_column(String(1))
    cooperation: Mapped[str | None] = mapped_column(String(1))
    health: Mapped[str | None] = mapped_column(String(1))
    aesthetics: Mapped[str | None] = mapped_column(String(1))
    remark: Mapped[str | None] = mapped_column(String(500))
    candidate: Mapped[Candidate] = relationship(back_populates="evaluation")

    __audited__ = True


class Preference(_CandidatePart, Model):
    """志愿 (成人高考): choice ``seq`` (1 = first) of a level, school and major."""

    __tablename__ = "ks_preference"
    __table_args__ = (UniqueConstraint("candidate_id", "seq", name="uq_ks_preference_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    level: Mapped[str] = mapped_column(String(2), nullable=False)  # CANDIDATE_CATEGORIES[ADULT]
    track: Mapped[str | None] = mapped_column(String(2))  # ADULT_TRACKS
    major_category: Mapped[str | None] = mapped_column(String(2))  # ADULT_MAJOR_CATEGORIES
    study_form: Mapped[str | None] = mapped_column(String(1))  # STUDY_FORMS
    school_code: Mapped[str] = mapped_column(String(10), nullable=False)
    school_name: Mapped[str] = mapped_column(String(100), nullable=False)
    major_code: Mapped[str] = mapped_column(String(10), nullable=False)
    major_name: Mapped[str] = mapped_column(String(100), nullable=False)
    duration: Mapped[str | None] = mapped_column(String(10))  # 学制, e.g. "2.5"
    adjust: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                         nullable=False)  # 服从调剂
    candidate: Mapped[Candidate] = relationship(back_populates="preferences")

    __audited__ = True

    def __repr__(self):
        return f"{self.seq}. {self.school_name} {self.major_name}"


class ImportBatch(JobRecord, Model):
    """One registry import (学籍同步) or exchange package import: the uploaded file, its
    column mapping and the outcome. Scoped by the importing user's unit (``node_path``): the
    rows may only land inside that subtree."""

    __tablename__ = "ks_import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    #: the upload (the job's input; the mixin's result_path stays empty)
    stored_path: Mapped[str] = mapped_column(String(500), nullable=False)
    mapping: Mapped[dict | None] = mapped_column(JSON)
    created_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    exam: Mapped[Exam] = relationship(Exam)

    def counts(self):
        return {"created": self.created_count, "updated": self.updated_count,
                "rejected": self.rejected_count}


class ImportRowError(Model):
    """One rejected row (or cell) of an import, for the downloadable error report."""

    __tablename__ = "ks_import_row_error"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("ks_import_batch.id", ondelete="CASCADE"), nullable=False, index=True)
    row: Mapped[int] = mapped_column(Integer, nullable=False)
    column: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(500), nullable=False)


class CandidateExport(JobRecord, Model):
    """An export of the candidate list too large to build inside the request: the filters as
    the user set them on the list (``args``, re-applied by the job inside the user's
    subtree), the format, and the rows written. The file is kept for
    ``EXPORT_KEEP_HOURS`` and downloaded only by the unit and the levels above it."""

    __tablename__ = "ks_candidate_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fmt: Mapped[str] = mapped_column(String(4), nullable=False)
    args: Mapped[dict | None] = mapped_column(JSON)
    rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def counts(self):
        return {"rows": self.rows}


#: States of a document review (证件审核).
DOC_PENDING, DOC_APPROVED, DOC_REJECTED = "pending", "approved", "rejected"


class DocumentCheck(Model):
    """证件审核: the copy of a candidate's travel permit, residence permit or passport,
    recorded by the point, and the city's decision (seed 004 §四.3: such holders' documents
    are copied on site and 上报市（州）招考机构审核). One per candidate; a rejected check is
    submitted again with a new copy. The candidate counts once it is approved
    (candidates/documents.py)."""

    __tablename__ = "ks_document_check"
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    state: Mapped[str | None] = mapped_column(String(10), index=True)
    copy_ref: Mapped[str | None] = mapped_column(String(500))  # filestore reference
    copy_name: Mapped[str | None] = mapped_column(String(255))
    copy_type: Mapped[str | None] = mapped_column(String(50))
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                         server_default="1")
    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self):
        return self.candidate.name if self.candidate is not None else ""

    @property
    def id_type(self):
        return self.candidate.id_type if self.candidate is not None else None

    @property
    def id_number(self):
        return self.candidate.id_display if self.candidate is not None else ""

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None
