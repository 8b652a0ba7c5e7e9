"""Point proposals (报名确认点申报) and data submissions (数据上报)."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, false,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..exams.models import Exam
from ..jurisdiction import POINT, Node
from ..security import KsUser
from .rules import PROPOSAL_STATES, SUBMISSION_STATES

#: What the partial unique indexes below hold: a code is reserved while its proposal is
#: pending, and a unit has one live (pending or accepted) submission per exam; the rules check
#: both with a message first, the indexes stop two requests racing past the check.
PENDING_PROPOSAL_SQL = "state IN ('proposed', 'city_approved')"
LIVE_SUBMISSION_SQL = "state IN ('submitted', 'accepted')"


class PointProposal(Model):
    """A county's proposal of a registration / confirmation point (报名确认点); the province's
    final approval creates the point unit (``point``), nothing exists before."""

    __tablename__ = "ks_point_proposal"
    __table_args__ = (
        Index("uq_ks_point_proposal_pending_code", "code", unique=True,
              sqlite_where=text(PENDING_PROPOSAL_SQL),
              postgresql_where=text(PENDING_PROPOSAL_SQL)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The proposing county: the proposal is scoped by it.
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    contact: Mapped[str] = mapped_column(String(50), nullable=False)
    phone: Mapped[str] = mapped_column(String(30), nullable=False)
    # As on Node: comma-separated 成人高考 level codes, empty = all levels.
    serves_levels: Mapped[str | None] = mapped_column(String(20))
    for_minors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                             nullable=False)
    for_medical: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                              nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="proposed", nullable=False,
                                       index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    proposed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    city_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    city_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    province_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    province_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("ks_node.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    node: Mapped[Node] = relationship(Node, foreign_keys=[node_id])
    point: Mapped[Node | None] = relationship(Node, foreign_keys=[point_id])
    exam: Mapped[Exam] = relationship(Exam)
    proposed_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[proposed_by_id])
    city_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[city_by_id])
    province_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[province_by_id])

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def state_label(self):
        return PROPOSAL_STATES.get(self.state, self.state)

    #: The kind of unit a proposal becomes; with it the proposal shares Node's label of the
    #: levels served.
    kind = POINT
    serves_levels_label = Node.serves_levels_label

    def __repr__(self):
        return f"{self.name}（{self.code}）"


class DataSubmission(Model):
    """One report of a unit's candidate data of one exam to the level above (数据上报): the
    counts at the time, who sent it and what became of it. A returned submission stays as
    history; the unit submits again with a new one."""

    __tablename__ = "ks_data_submission"
    __table_args__ = (
        Index("uq_ks_data_submission_live", "exam_id", "node_id", unique=True,
              sqlite_where=text(LIVE_SUBMISSION_SQL),
              postgresql_where=text(LIVE_SUBMISSION_SQL)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The submitting unit (county or city): the submission is scoped by it.
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(20), default="submitted", nullable=False,
                                       index=True)
    # {"totals": {total, locked, photo, <state>…}, "units": [{code, name, <same counts>}]}:
    # app/dashboard.py:progress as it stood when submitted.
    snapshot: Mapped[dict] = mapped_column(JSON, nullable=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    return_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    node: Mapped[Node] = relationship(Node)
    exam: Mapped[Exam] = relationship(Exam)
    submitted_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[submitted_by_id])
    decided_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def name(self):
        return f"{self.node.name} · {self.exam.name}"

    @property
    def state_label(self):
        return SUBMISSION_STATES.get(self.state, self.state)

    @property
    def total(self):
        return self.snapshot.get("totals", {}).get("total", 0)

    def __repr__(self):
        return self.name
