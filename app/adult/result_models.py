"""成人高考 results (seed 004 §一 成绩信息, §四.13 录取信息): the scores and the admission of a
candidate, both imported by the province, and the province's release switches per exam.

Scores and admissions are parts of the candidate: scoped through it and audited (a
re-import that changes a value leaves its before/after in the audit log)."""
import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..candidates.models import Candidate
from ..exams.models import Exam


def _now():
    return dt.datetime.now()


class _CandidatePart:
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


#: The subject columns of a score row, in printing order, with their Chinese names
#: (专业基础课 prints as the course of the candidate's major category, e.g. 高等数学（一）).
SUBJECT_COLUMNS = ("chinese", "mathematics", "politics", "foreign_language", "combined",
                   "basic_course")


def score_text(value):
    """A score as printed: ``98``, ``98.5`` (no trailing zeros), "" for none."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


class AdultScore(_CandidatePart, Model):
    """成绩信息 of one candidate: the subjects of the candidate's paper group, 特征分 (the
    照顾加分 the policy grants), 总分 (the sum of the subjects) and 档案分 (总分 + 特征分, the
    score the admitting institutions see)."""

    __tablename__ = "ks_adult_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    paper_group: Mapped[str] = mapped_column(String(10), nullable=False)
    chinese: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 语文
    mathematics: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 数学（文/理）
    politics: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 政治
    foreign_language: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 外语
    combined: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 史地 / 理化综合
    basic_course: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 专业基础课
    feature: Mapped[Decimal] = mapped_column(Numeric(4, 1), nullable=False)  # 特征分
    total: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)  # 总分
    archive_score: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)  # 档案分
    source: Mapped[str | None] = mapped_column(String(255))
    imported_by: Mapped[int | None] = mapped_column(Integer)
    imported_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                     nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    def shown(self, column):
        return score_text(getattr(self, column))


class AdultAdmission(_CandidatePart, Model):
    """录取信息 of one candidate: institution, major, level and form of study, and the date
    of admission. One per candidate; a later import replaces it (audited)."""

    __tablename__ = "ks_adult_admission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    institution_code: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    institution_name: Mapped[str] = mapped_column(String(100), nullable=False)
    major_code: Mapped[str] = mapped_column(String(10), nullable=False)
    major_name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(2), nullable=False)  # CANDIDATE_CATEGORIES[ADULT]
    study_form: Mapped[str] = mapped_column(String(1), nullable=False)  # STUDY_FORMS
    admitted_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    source: Mapped[str | None] = mapped_column(String(255))
    imported_by: Mapped[int | None] = mapped_column(Integer)
    imported_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                     nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    @property
    def level_label(self):
        return codes.label(codes.CANDIDATE_CATEGORIES[codes.ADULT], self.level, lang=None,
                           default=self.level)

    @property
    def study_form_label(self):
        return codes.label(codes.STUDY_FORMS, self.study_form, lang=None,
                           default=self.study_form)


class AdultResultRelease(Model):
    """The province's switches per 成人高考 exam: candidates see their scores, and their
    admission, only once the matching switch is on."""

    __tablename__ = "ks_adult_result_release"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id", ondelete="CASCADE"),
                                         nullable=False, unique=True)
    scores_released: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    admission_released: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                    nullable=False)
    changed_by: Mapped[int | None] = mapped_column(Integer)

    exam: Mapped[Exam] = relationship(Exam)
