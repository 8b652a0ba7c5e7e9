"""Exam (考试): 中招 / 高考 / 成人高考 of a year; phases, candidates and forms hang on it."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

ZHONGZHAO, GAOKAO, ADULT = "zhongzhao", "gaokao", "adult"
EXAM_KINDS = {
    ZHONGZHAO: _l("Senior high school entrance exam (中招)"),
    GAOKAO: _l("National college entrance exam (高考)"),
    ADULT: _l("Adult higher education entrance exam (成人高考)"),
}


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
        return EXAM_KINDS.get(self.kind, self.kind)

    def __repr__(self):
        return self.name
