"""Exports to the national admissions system (数据交换导出): one row per background job."""
from flask_appbuilder import Model
from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..exams.models import Exam
from ..job_records import JobRecord


class ExchangeExport(JobRecord, Model):
    """One ZIP of DBF tables and photos for an exam, made for the exporting user's subtree
    (``node_path``: only it and the levels above see it); ``result_path`` is the ZIP."""

    __tablename__ = "ks_exchange_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    #: which review states count as accepted (dbf_format.ACCEPTED_FROM)
    accepted: Mapped[str] = mapped_column(String(10), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    photos: Mapped[int | None] = mapped_column(Integer)
    #: [[ID number (masked), name, reason], …]: accepted records left out, and why
    skipped: Mapped[list | None] = mapped_column(JSON)

    exam: Mapped[Exam] = relationship(Exam)

    def counts(self):
        return {"rows": self.rows, "photos": self.photos, "skipped": len(self.skipped or ())}
