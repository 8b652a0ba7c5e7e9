"""Incidents (突发事件): an anomaly of a playbook in one region and exam, the log of what was
done about it, its data snapshots and the paper drafts ticked off after batch entry."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..exams.models import Exam
from ..job_records import JobRecord
from ..jurisdiction import Node
from ..security import KsUser
from .playbooks import ACTIONS, PLAYBOOKS_BY_KEY, bilingual

OPEN, RESOLVED, CLOSED = "open", "resolved", "closed"
STATUS_LABELS = {OPEN: _l("Open"), RESOLVED: _l("Resolved"), CLOSED: _l("Closed")}


def _now():
    return dt.datetime.now()


class Incident(Model):
    """突发事件: ``anomaly`` (a playbook key) in region ``node`` during ``exam``.

    ``paper_since`` / ``paper_until``: the region collects on paper draft forms (纸质草表)
    from the first switch until it is back online (None while still on paper)."""

    __tablename__ = "ks_incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anomaly: Mapped[str] = mapped_column(String(20), nullable=False)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN,
                                        server_default=OPEN)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    opened_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    resolved_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paper_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paper_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Reported to the level above (市（州）要及时报告省): the unit it went to last, when, by whom.
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("ks_node.id"))
    escalated_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # Two staff changing the status or the paper mode at once: the second is told, not lost.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node, foreign_keys=[node_id])
    opened_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[opened_by_id])
    escalated_to: Mapped[Node | None] = relationship(Node, foreign_keys=[escalated_to_id])
    escalated_by: Mapped[KsUser | None] = relationship(KsUser, foreign_keys=[escalated_by_id])
    entries: Mapped[list["IncidentEntry"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEntry.id")
    snapshots: Mapped[list["IncidentSnapshot"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan",
        order_by="IncidentSnapshot.id.desc()")

    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def playbook(self):
        return PLAYBOOKS_BY_KEY.get(self.anomaly)

    @property
    def anomaly_label(self):
        playbook = self.playbook
        return playbook.text() if playbook else self.anomaly

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def on_paper(self):
        return self.paper_since is not None and self.paper_until is None

    @property
    def paper_label(self):
        if self.on_paper:
            return _l("Paper draft forms since %(at)s",
                      at=self.paper_since.strftime("%Y-%m-%d %H:%M"))
        if self.paper_since is not None:
            return _l("Back online since %(at)s", at=self.paper_until.strftime("%Y-%m-%d %H:%M"))
        return ""

    def __repr__(self):
        return f"#{self.id} {self.anomaly_label}"


class _IncidentPart:
    """Rows that belong to an incident are scoped and audited through it."""

    __scope_parent__ = ("incident_id", "Incident")

    def audit_node_path(self):
        node = self.incident.node if self.incident is not None else None
        return node.path if node is not None else None


class IncidentEntry(_IncidentPart, Model):
    """One line of an incident's log: a step ticked or an action run (``step`` set), a note,
    or a status change, with who and when; ``detail`` holds what an action did."""

    __tablename__ = "ks_incident_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("ks_incident.id", ondelete="CASCADE"), nullable=False, index=True)
    #: "done" (a step ticked), an ACTIONS kind, "note", or "status"
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    step: Mapped[str | None] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="entries")
    user: Mapped[KsUser | None] = relationship(KsUser)

    __audited__ = True

    @property
    def kind_label(self):
        if self.kind in ACTIONS:
            return bilingual(*ACTIONS[self.kind])
        return {"done": _l("Done"), "note": _l("Note"),
                "status": _l("Status")}.get(self.kind, self.kind)


class IncidentSnapshot(JobRecord, _IncidentPart, Model):
    """数据备份: an XLSX export (``result_path``) of the region's candidates of the exam, made
    by a job. Its unit (``node_path``) is the incident's region, set with the incident."""

    __tablename__ = "ks_incident_snapshot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("ks_incident.id", ondelete="CASCADE"), nullable=False, index=True)
    # The owner, here a foreign key: the incident page names who asked for the snapshot.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    rows: Mapped[int | None] = mapped_column(Integer)

    incident: Mapped[Incident] = relationship(back_populates="snapshots")
    user: Mapped[KsUser | None] = relationship(KsUser)

    __audited__ = True

    @validates("incident")
    def _region(self, _key, incident):
        self.node_path = incident.node.path
        return incident

    def counts(self):
        return {"rows": self.rows}


class IncidentDraftCheck(_IncidentPart, Model):
    """A paper draft ticked off against the record that the batch entry created or changed."""

    __tablename__ = "ks_incident_draft_check"
    __table_args__ = (UniqueConstraint("incident_id", "candidate_id",
                                       name="uq_ks_incident_draft_check"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("ks_incident.id", ondelete="CASCADE"), nullable=False, index=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)

    incident: Mapped[Incident] = relationship()
    user: Mapped[KsUser | None] = relationship(KsUser)

    __audited__ = True
