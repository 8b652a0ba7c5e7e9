"""高考 志愿 (seed 002 part 5) and the dynamic password card (动态口令卡) that confirms them.

* :class:`PreferenceBatch` — a 志愿批次 of one exam (提前批, 本科一批 … as data), with how many
  institutions and majors it takes; its filling window is a ``Phase`` (activity
  ``gaokao_preference``, category = the batch's code), so extensions (延时) apply as to any
  window. A 征集志愿 round is a batch of its own pointing at the batch it collects for.
* :class:`PasswordCard` / :class:`PasswordCardCode` — a card with a serial and a grid of
  one-time codes, stored only as keyed hashes.
* :class:`GaokaoPreference` — the effective preferences (one row per institution choice);
  :class:`PendingPreferenceChange` — what the candidate saved, waiting for the card's code.
* :class:`CardRun` — a generation job (the province's print run, or one reissued card).
"""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint,
                        false, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate
from ..exams.models import Exam
from ..job_records import JobRecord
from ..jurisdiction import PATH_TYPE
from ..phases.models import Phase

#: card statuses
ISSUED, BOUND, CANCELLED = "issued", "bound", "cancelled"
CARD_STATUS_LABELS = {ISSUED: _l("Issued, not bound"), BOUND: _l("Bound"),
                      CANCELLED: _l("Cancelled")}


def _now():
    return dt.datetime.now()


class PreferenceBatch(Model):
    """志愿批次: one exam's batch with its size and window (``phase``)."""

    __tablename__ = "ks_gk_batch"
    __table_args__ = (UniqueConstraint("exam_id", "code", name="uq_gk_batch_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(2), nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    schools: Mapped[int] = mapped_column(Integer, nullable=False)  # institution choices
    majors: Mapped[int] = mapped_column(Integer, nullable=False)  # majors per institution, ≤ 6
    #: every candidate of the exam must fill it (谨防漏报 lists it); 提前批 and 征集 need not.
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                           server_default=true())
    collection_of_id: Mapped[int | None] = mapped_column(ForeignKey("ks_gk_batch.id"))
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("ks_phase.id"))
    exam: Mapped[Exam] = relationship(Exam)
    phase: Mapped[Phase | None] = relationship(Phase)
    collection_of: Mapped["PreferenceBatch | None"] = relationship(remote_side=[id])

    __audited__ = True

    @property
    def window(self):
        """The filling window as text (before extensions), for lists."""
        phase = self.phase
        if phase is None:
            return ""
        return f"{phase.start:%Y-%m-%d %H:%M} – {phase.end:%Y-%m-%d %H:%M}"

    def __repr__(self):
        return self.name


class CardRun(JobRecord, Model):
    """A print run of cards for a unit (``node_path``), generated in the background; a
    county's reissue of one card is a run of one, made at once."""

    __tablename__ = "ks_gk_card_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    reissue: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                          server_default=false())
    exam: Mapped[Exam] = relationship(Exam)

    def counts(self):
        return {"cards": self.count}


class PasswordCard(Model):
    """口令卡: serial, the unit it was issued to, and the candidate it is bound (or reserved,
    after a reissue) to."""

    __tablename__ = "ks_gk_card"
    __scope_path__ = "node_path"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ks_gk_card_run.id"), index=True)
    serial: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    node_path: Mapped[str] = mapped_column(PATH_TYPE, nullable=False, index=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ISSUED)
    bound_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                          server_default="0")
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                         server_default=false())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("ks_gk_card.id"))
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    candidate: Mapped[Candidate | None] = relationship(Candidate)
    exam: Mapped[Exam] = relationship(Exam)

    __audited__ = True

    def audit_node_path(self):
        return self.node_path

    def __repr__(self):
        return self.serial


class PasswordCardCode(Model):
    """One code of a card's grid, as an HMAC keyed with the server's card key; used once."""

    __tablename__ = "ks_gk_card_code"
    __table_args__ = (UniqueConstraint("card_id", "position", name="uq_gk_card_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("ks_gk_card.id", ondelete="CASCADE"),
                                         nullable=False)
    position: Mapped[str] = mapped_column(String(3), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class _CandidateRow:
    __scope_parent__ = ("candidate_id", "Candidate")

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None


class GaokaoPreference(_CandidateRow, Model):
    """One effective institution choice of a batch: 院校代号/名称, majors (up to six
    ``[code, name]`` pairs, in order) and 服从调剂."""

    __tablename__ = "ks_gk_preference"
    __table_args__ = (UniqueConstraint("candidate_id", "batch_id", "seq",
                                       name="uq_gk_preference_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ks_gk_batch.id"), nullable=False,
                                          index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    school_code: Mapped[str] = mapped_column(String(10), nullable=False)
    school_name: Mapped[str] = mapped_column(String(100), nullable=False)
    majors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    adjust: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    candidate: Mapped[Candidate] = relationship(Candidate)
    batch: Mapped[PreferenceBatch] = relationship(PreferenceBatch)

    __audited__ = True


class PendingPreferenceChange(_CandidateRow, Model):
    """A saved change of one batch that has not taken effect: it waits for the code at
    ``position`` of ``card`` (chosen once, so a reload asks the same position)."""

    __tablename__ = "ks_gk_pref_pending"
    __table_args__ = (UniqueConstraint("candidate_id", "batch_id", name="uq_gk_pending"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ks_gk_batch.id"), nullable=False)
    card_id: Mapped[int] = mapped_column(ForeignKey("ks_gk_card.id"), nullable=False)
    position: Mapped[str] = mapped_column(String(3), nullable=False)
    rows: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    candidate: Mapped[Candidate] = relationship(Candidate)
    batch: Mapped[PreferenceBatch] = relationship(PreferenceBatch)
    card: Mapped[PasswordCard] = relationship(PasswordCard)
