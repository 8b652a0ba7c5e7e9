"""Exam (考试): 中招 / 高考 / 成人高考 of a year; phases, candidates and forms hang on it.

The exam kinds are defined in app/codes.py (EXAM_KINDS, EXAM_KIND_LABELS)."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..codes import EXAM_KIND_LABELS


class Exam(Model):
    __tablename__ = "ks_exam"
    __table_args__ = (UniqueConstraint("kind", "year", name="uq_ks_exam_kind_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # First exam day: ages such as 成人高考's "under 17" are counted on it.
    exam_date: Mapped[dt.date | None] = mapped_column(Date)

    __audited__ = True

    @property
    def kind_label(self):
        return EXAM_KIND_LABELS.get(self.kind, self.kind)

    def __repr__(self):
        return self.name
