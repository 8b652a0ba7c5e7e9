"""成人高考 免试入学 applications and 照顾加分 entries (seed 004 §四.6–7; rules in
adult/exemption.py). One row of each per candidate; both audited."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate


class _CandidateRow:
    @property
    def name(self):
        return self.candidate.name if self.candidate is not None else ""

    def __repr__(self):
        return self.name


class AdultExemption(_CandidateRow, Model):
    """免试入学: the candidate applies with a supporting scan, the city reviews first and sends
    it on, the province decides (approved: the candidate is not seated)."""

    __tablename__ = "ks_adult_exemption"
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    state: Mapped[str | None] = mapped_column(String(12), index=True)
    kind: Mapped[str | None] = mapped_column(String(2))
    note: Mapped[str | None] = mapped_column(String(500))
    scan_ref: Mapped[str | None] = mapped_column(String(500))  # filestore reference
    scan_name: Mapped[str | None] = mapped_column(String(255))
    scan_type: Mapped[str | None] = mapped_column(String(50))
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    city_by: Mapped[str | None] = mapped_column(String(128))
    city_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                         server_default="1")
    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}


class AdultBonus(_CandidateRow, Model):
    """照顾加分: claimed at the confirmation point (originals seen), entered by the city by
    policy type, checked by the province."""

    __tablename__ = "ks_adult_bonus"
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    state: Mapped[str | None] = mapped_column(String(12), index=True)
    kind: Mapped[str | None] = mapped_column(String(2))
    points: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[str | None] = mapped_column(String(128))
    entered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: onsite: the policy the candidate claimed at the confirmation point, whose staff saw
    #: the original certificates (claimed_by / claimed_at); the city's entry starts from it.
    claim_kind: Mapped[str | None] = mapped_column(String(2))
    claim_note: Mapped[str | None] = mapped_column(String(500))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                         server_default="1")
    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}
