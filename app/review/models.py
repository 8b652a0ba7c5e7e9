"""Review history (审核记录): every transition of a candidate's state, with who, when, why."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate
from ..job_records import NEW, JobRecord
from .states import PENDING, QUALIFICATION_KINDS, QUALIFICATION_STATES


class Qualification(Model):
    """A qualification application (资格申报) with its own approval chain, e.g. 分配生."""

    __tablename__ = "ks_qualification"
    __scope_parent__ = ("candidate_id", "Candidate")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default=PENDING, nullable=False, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now,
                                                    nullable=False)
    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def name(self):
        return f"{self.candidate.name}（{self.kind_label}）"

    @property
    def kind_label(self):
        return QUALIFICATION_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self):
        return QUALIFICATION_STATES.get(self.state, self.state)

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None

    def __repr__(self):
        return self.name


class ReviewEvent(Model):
    __tablename__ = "ks_review_event"
    __scope_parent__ = ("candidate_id", "Candidate")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    # School review: the principal's sign-off (校长签字).
    principal_name: Mapped[str | None] = mapped_column(String(40))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now, nullable=False)
    candidate: Mapped[Candidate] = relationship(Candidate)
    qualification_id: Mapped[int | None] = mapped_column(
        ForeignKey("ks_qualification.id", ondelete="CASCADE"), index=True)
    qualification: Mapped[Qualification | None] = relationship(Qualification)


#: A selection row's outcome once the step was applied (None: not yet).
APPLIED, SKIPPED = "done", "skipped"


class ReviewSelection(JobRecord, Model):
    """The rows a bulk review acts on (“the N selected” or “all M matching this filter”),
    stored so that no URL carries them, with the step and what its confirmation page asks
    (reason, sign-off). Each row keeps the version the reviewer's selection saw; applying
    skips a row whose version moved. Large selections are applied by a job: the record is
    its job record too (``status`` NEW until confirmed)."""

    __tablename__ = "ks_review_selection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: which table of transitions: workflow.RECORD (candidates) or QUALIFICATION
    subject: Mapped[str] = mapped_column(String(20), nullable=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    principal_name: Mapped[str | None] = mapped_column(String(40))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    selected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applied: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __init__(self, **kw):
        kw.setdefault("status", NEW)
        super().__init__(**kw)

    def counts(self):
        return {"applied": self.applied, "skipped": self.skipped, "selected": self.selected}


class ReviewSelectionRow(Model):
    """One row of a selection: its id, its version as seen, and its outcome with the reason
    it was skipped."""

    __tablename__ = "ks_review_selection_row"

    selection_id: Mapped[int] = mapped_column(
        ForeignKey("ks_review_selection.id", ondelete="CASCADE"), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(500))
