"""Exports to the national admissions system (数据交换导出): one row per background job."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..exams.models import Exam
from ..jurisdiction import PATH_TYPE


def _now():
    return dt.datetime.now()


class ExchangeExport(Model):
    """One ZIP of DBF tables and photos for an exam, made for the exporting user's subtree."""

    __tablename__ = "ks_exchange_export"
    # The subtree exported is the exporting user's unit: only it and the levels above see it.
    __scope_path__ = "node_path"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    node_path: Mapped[str] = mapped_column(PATH_TYPE, nullable=False, index=True)
    #: which review states count as accepted (dbf_format.ACCEPTED_FROM)
    accepted: Mapped[str] = mapped_column(String(10), nullable=False)
    #: queued → running → done | failed
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    job_id: Mapped[str | None] = mapped_column(String(64))
    stored_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    photos: Mapped[int | None] = mapped_column(Integer)
    #: [[ID number (masked), name, reason], …]: accepted records left out, and why
    skipped: Mapped[list | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(String(500))
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    finished_on: Mapped[dt.datetime | None] = mapped_column(DateTime)

    exam: Mapped[Exam] = relationship(Exam)
