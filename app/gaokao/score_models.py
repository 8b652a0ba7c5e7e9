"""高考 scores (成绩信息, seed 002 part 6) and the basic-education department's results:
学业水平考试成绩 (part 8) and 综合素质评价 (part 9). All are imported by the province, scoped
and audited through their candidate; a release switch per exam decides when candidates see
their scores."""
import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (Boolean, DateTime, ForeignKey, Integer, Numeric, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes as shared_codes
from ..candidates.models import Candidate
from ..exams.models import Exam
from . import academic_codes


def _now():
    return dt.datetime.now()


class _CandidatePart:
    """Scoped and filed in the audit trail under the candidate's unit."""

    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class GaokaoScore(_CandidatePart, Model):
    """One candidate's scores as the province imported them: 文化 subjects, their total,
    the 专业 (art / sport) score and the 特征分 (tie-break score)."""

    __tablename__ = "ks_gaokao_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    chinese: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 语文
    mathematics: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 数学
    foreign_language: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 外语
    combined: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 文综 / 理综
    total: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)  # 文化总分
    professional: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 专业成绩
    feature: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))  # 特征分
    source: Mapped[str | None] = mapped_column(String(255))
    imported_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    def __repr__(self):
        return f"{self.candidate}"


class ScoreRelease(Model):
    """The province's switch per 高考 exam: candidates see their scores once it is on."""

    __tablename__ = "ks_gaokao_score_release"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id", ondelete="CASCADE"),
                                         nullable=False, unique=True)
    released: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    exam: Mapped[Exam] = relationship(Exam)


class BasicEduResult(_CandidatePart, Model):
    """One grade of a candidate from the basic-education department's files, converted to
    the archive's codes: a 学业水平考试 subject (part ``academic``) or a 综合素质评价
    dimension (part ``quality``). One row per candidate, part and item."""

    __tablename__ = "ks_gaokao_basic_result"
    __table_args__ = (UniqueConstraint("candidate_id", "part", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    part: Mapped[str] = mapped_column(String(10), nullable=False)  # academic | quality
    item: Mapped[str] = mapped_column(String(4), nullable=False)  # subject / dimension code
    grade: Mapped[str] = mapped_column(String(2), nullable=False)  # archive grade code
    original: Mapped[str | None] = mapped_column(String(20))  # the department's value
    source: Mapped[str | None] = mapped_column(String(255))
    imported_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    @property
    def item_label(self):
        return shared_codes.label(academic_codes.items_of(self.part), self.item, lang=None,
                                  default=self.item)

    @property
    def grade_label(self):
        return shared_codes.label(academic_codes.scale_of(self.part, self.item), self.grade,
                                  lang=None, default=self.grade)

    def __repr__(self):
        return f"{self.candidate} {self.item}"
