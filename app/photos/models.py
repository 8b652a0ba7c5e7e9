"""Stored picture files (文件) and the candidate photos / ID-document scans (照片、证件) that use them."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate
from ..exams.models import Exam
from ..job_records import JobRecord
from .results import shown

PHOTO, ID_DOCUMENT = "photo", "id_document"
KINDS = (PHOTO, ID_DOCUMENT)


def _now():
    return dt.datetime.now()


class StoredFile(Model):
    """A file on disk, named by the SHA-256 of its bytes: identical uploads share one file."""

    __tablename__ = "ks_stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)


class CandidatePhoto(Model):
    """One accepted picture of a candidate; older ones stay (current=False) for the audit trail."""

    __tablename__ = "ks_candidate_photo"
    __table_args__ = (Index("ix_ks_candidate_photo_current", "candidate_id", "kind", "current"),)
    __scope_parent__ = ("candidate_id", "Candidate")
    __printed_part__ = True  # printed on the forms: a new picture moves the version

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    # The compliant, normalised file that is served and printed.
    file_sha256: Mapped[str] = mapped_column(ForeignKey("ks_stored_file.sha256"), nullable=False)
    # What was uploaded, kept so a dispute can be settled against the source.
    original_sha256: Mapped[str] = mapped_column(ForeignKey("ks_stored_file.sha256"),
                                                 nullable=False)
    uploaded_by: Mapped[int | None] = mapped_column(Integer)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    current: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    #: What the checks measured on the stored file (``results.stored``): {"ok", "rows"}; NULL
    #: for a picture stored before the results were kept (``flask kaosheng photo-recheck``).
    checks: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    candidate: Mapped[Candidate] = relationship(Candidate)

    __audited__ = True
    # Derived from the file, which the audit already names; not the candidate's data.
    __audit_exclude__ = ("checks",)

    @property
    def check_rows(self):
        """The stored results as rows for a page (label, value, range, ok, hint)."""
        return shown(self.checks["rows"]) if self.checks else []

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class PhotoProblem(Model):
    """One rule a stored picture fails or warns on (e.g. a suspected rescan), so the review list
    finds candidates by photo problem through the (code, photo) index."""

    __tablename__ = "ks_photo_problem"
    __table_args__ = (UniqueConstraint("photo_id", "code", name="uq_ks_photo_problem_photo_code"),
                      Index("ix_ks_photo_problem_code_photo", "code", "photo_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate_photo.id", ondelete="CASCADE"), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    warn: Mapped[bool] = mapped_column(Boolean, nullable=False)


class PhotoImport(JobRecord, Model):
    """One bulk ZIP import (照片批量导入) and its report. Scoped by the importing user's unit
    (``node_path``): pictures only land on candidates inside it."""

    __tablename__ = "ks_photo_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    #: the uploaded ZIP (the job's input), removed once the import has run
    stored_path: Mapped[str] = mapped_column(String(500), nullable=False)
    # {"matched": [name…], "unmatched": [name…], "rejected": [[name, code, reason]…]}
    report: Mapped[dict | None] = mapped_column(JSON)

    exam: Mapped[Exam] = relationship(Exam)

    def counts(self):
        report = self.report or {}
        return {key: len(report.get(key) or ()) for key in ("matched", "unmatched", "rejected")}
