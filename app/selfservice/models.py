"""The candidate's own login (考生账号): activation code from the school (or a user name chosen
when signing up on the public page), own password and the recovery question (密码验证信息).
Only hashes are stored."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate


def _now():
    return dt.datetime.now()


class CandidateAccount(Model):
    __tablename__ = "ks_candidate_account"
    __scope_parent__ = ("candidate_id", "Candidate")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))  # None until activated
    # The user name a candidate chose when signing up on the public page (成人高考, stored
    # lower-case, so the unique index holds whatever the case); None for records made by
    # staff or import, whose candidates log in with their ID number or 考生号.
    username: Mapped[str | None] = mapped_column(String(20), unique=True, index=True)
    activation_code_hash: Mapped[str | None] = mapped_column(String(256))
    activation_expires: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recovery_question: Mapped[str | None] = mapped_column(String(100))
    recovery_answer_hash: Mapped[str | None] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                               nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now,
                                                    nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    __audited__ = True
    # Secrets and login bookkeeping stay out of the audit trail.
    __audit_exclude__ = ("password_hash", "activation_code_hash", "recovery_answer_hash",
                         "failed_logins", "locked_until", "last_login", "changed_on")

    @property
    def active(self):
        return self.password_hash is not None

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None
