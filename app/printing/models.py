"""Admission tickets (准考证) and batch print jobs (批量打印)."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate
from ..job_records import DONE, JobRecord


def _now():
    return dt.datetime.now()


class AdmissionTicket(Model):
    """准考证: where and when one candidate sits the exam. One per candidate."""

    __tablename__ = "ks_admission_ticket"
    __scope_parent__ = ("candidate_id", "Candidate")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    ticket_number: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    site: Mapped[str] = mapped_column(String(200), nullable=False)  # 考点
    room: Mapped[str | None] = mapped_column(String(20))  # 考场
    seat: Mapped[str | None] = mapped_column(String(10))  # 座位号
    # [{"subject": "语文", "start": "2026-06-07 09:00", "end": "2026-06-07 11:30"}, …]
    timetable: Mapped[list | None] = mapped_column(JSON)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    __audited__ = True

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None

    @property
    def exam_name(self):
        return self.candidate.exam.name if self.candidate and self.candidate.exam else ""

    @property
    def timetable_text(self):
        """The timetable as edited on the ticket screen, one subject per line."""
        from .tickets import format_timetable

        return format_timetable(self.timetable)

    @timetable_text.setter
    def timetable_text(self, text):
        from .tickets import parse_timetable

        self.timetable = parse_timetable(text)

    def __repr__(self):
        return self.ticket_number


class PrintBatch(JobRecord, Model):
    """One batch print: the forms of many candidates merged into one PDF by background jobs.

    Scoped by the requesting user's unit (like imports): the unit and the levels above it see
    the batch, anyone else gets 404; the job only prints candidates inside that subtree.
    ``total`` counts the forms to print, ``done`` those rendered; ``result_path`` is the
    merged PDF (set by the one part that claims the merge).
    """

    __tablename__ = "ks_print_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("ks_exam.id"))
    # What was asked for: {"node_id": …} or {"ids": […]}; the job re-scopes it.
    selection: Mapped[dict | None] = mapped_column(JSON)
    # The candidates actually printed, in print order (set by the job, inside the scope).
    candidate_ids: Mapped[list | None] = mapped_column(JSON)
    skipped: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    parts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    pages: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    @property
    def status_label(self):
        if self.status == DONE and not self.result_path and self.done:
            return _l("Finished; the PDF has since been deleted (flask kaosheng purge-prints). "
                      "Print the batch again if you need it.")
        return super().status_label

    def counts(self):
        return {"skipped": self.skipped, "pages": self.pages}


class PrintBatchPart(Model):
    """One rendered slice of a batch. The unique key makes a retried part count once, and
    the part that completes the set merges them (several workers render one batch)."""

    __tablename__ = "ks_print_batch_part"
    __table_args__ = (UniqueConstraint("batch_id", "part", name="uq_ks_print_batch_part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("ks_print_batch.id", ondelete="CASCADE"), nullable=False)
    part: Mapped[int] = mapped_column(Integer, nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    forms: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    pages: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
