"""Point proposals (报名确认点申报) and data submissions (数据上报)."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String,
                        Table, Text, false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate
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
    # When the receiving level accepted it; kept when an accepted report is returned later,
    # so the unit's next report is compared with what was once accepted.
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The unit's previous accepted report of the exam when this one was sent: what the
    # receiver's diff compares with (None: the first, every record is new). No foreign key:
    # SQLite would rebuild the table to add one; reports are never deleted.
    base_id: Mapped[int | None] = mapped_column(Integer)
    return_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)

    node: Mapped[Node] = relationship(Node)
    exam: Mapped[Exam] = relationship(Exam)
    submitted_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[submitted_by_id])
    decided_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[decided_by_id])
    base: Mapped["DataSubmission | None"] = relationship(
        primaryjoin="foreign(DataSubmission.base_id) == remote(DataSubmission.id)")

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
        # Named with its time: a unit's reports of one exam differ by it.
        at = self.submitted_at.strftime("%Y-%m-%d %H:%M") if self.submitted_at else ""
        return f"{self.name}（{at}）" if at else self.name


#: The candidate columns a report freezes and compares, in the order pages show them; the
#: review state and version are frozen too but are the review's, not data (never "changed").
RECORD_FIELDS = (
    "node_id", "name", "gender", "id_number", "birth_date", "ethnicity", "political_status",
    "phone", "address", "postcode", "hukou", "student_number", "candidate_number",
    "class_name", "category", "subject_track", "foreign_language", "graduation_school",
    "education_level", "occupation", "work_start", "candidate_feature", "enrolment_type",
    "study_form", "graduation_date", "diploma_number", "medical_license", "remark")
#: The candidate's own rows, each frozen as one text (points/freeze.py builds them in SQL):
#: guardians, preferences (志愿), the 优惠 applied for (qualifications not rejected), and
#: the SHA-256 of the current photo.
PART_FIELDS = ("guardians", "preferences", "bonus", "photo_sha")
#: Everything a diff compares.
COMPARED = RECORD_FIELDS + PART_FIELDS


class ReportRecord(Model):
    """One candidate record as a data report froze it (数据上报的内容): written for all of a
    unit's records at once by one INSERT … SELECT, never changed afterwards. Keyed by (report,
    candidate); the candidate id is no foreign key, so a record deleted later still shows
    what was reported. Scoped by the report (the receiving level sees its reports'
    contents, a unit its own)."""

    __table__ = Table(
        "ks_report_record", Model.metadata,
        Column("report_id", ForeignKey("ks_data_submission.id", ondelete="CASCADE"),
               primary_key=True),
        Column("candidate_id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
        Column("state", String(20), nullable=False),
        # The reported fields with the candidate's own column types.
        *(Column(name, Candidate.__table__.c[name].type) for name in RECORD_FIELDS),
        Column("guardians", Text), Column("preferences", Text), Column("bonus", Text),
        Column("photo_sha", String(64)),
        # "changed since reported": the latest report covering one candidate.
        Index("ix_ks_report_record_candidate", "candidate_id", "report_id"),
    )
    __scope_parent__ = ("report_id", "DataSubmission")

    report = relationship(DataSubmission)
    candidate = relationship(Candidate, viewonly=True,
                             primaryjoin="foreign(ReportRecord.candidate_id) == Candidate.id")
    node = relationship(Node, viewonly=True,
                        primaryjoin="foreign(ReportRecord.node_id) == Node.id")

    def __repr__(self):
        return f"{self.name} · {self.report}"
