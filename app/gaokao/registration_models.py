"""高考 报名信息: the registration part of the electronic archive (seed 002, part 1), one per
candidate. The candidate record already holds name, ID number, 考生类别, 科类, 外语语种, 毕业学校,
考生号 and the contact details; this row holds what the national unified information standard
adds (报名号, 毕业类别, 考试类型, 户口性质, 中学代码, 报考类别), the registration fee (含缴费)
and the confirmation by the registration point or county office."""
import datetime as dt
import decimal

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes as candidate_codes
from ..candidates.models import Candidate
from . import registration_codes as rc


ENTERED, CONFIRMED = "entered", "confirmed"
STATE_LABELS = {ENTERED: _l("Entered, not confirmed"), CONFIRMED: _l("Confirmed")}


def _now():
    return dt.datetime.now()


class GaokaoRegistration(Model):
    """报名信息 of one 高考 candidate, entered at its registration point (the candidate's unit)."""

    __tablename__ = "ks_gaokao_registration"
    __table_args__ = (
        # 报名号: unique within the exam (exam_id is the candidate's, copied on entry).
        UniqueConstraint("registration_number", "exam_id", name="uq_ks_gaokao_registration_no"),
    )
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False)
    registration_number: Mapped[str] = mapped_column(String(14), nullable=False)  # 报名号
    graduation_kind: Mapped[str] = mapped_column(String(1), nullable=False)  # 毕业类别
    exam_type: Mapped[str] = mapped_column(String(1), nullable=False)  # 考试类型
    hukou_type: Mapped[str] = mapped_column(String(1), nullable=False)  # 户口性质
    school_code: Mapped[str] = mapped_column(String(10), nullable=False)  # 中学代码
    application_kind: Mapped[str] = mapped_column(String(1), nullable=False)  # 报考类别
    # 含缴费
    fee_state: Mapped[str] = mapped_column(String(1), nullable=False, default=rc.UNPAID)
    fee_amount: Mapped[decimal.Decimal | None] = mapped_column(Numeric(8, 2))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    fee_recorded_by: Mapped[str | None] = mapped_column(String(128))  # username
    # Confirmation by the point or county office (registration_rules.TRANSITIONS): "entered"
    # or "confirmed" (archive state CONFIRMED); a confirmed row changes only after the county
    # office withdraws the confirmation.
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=ENTERED,
                                       server_default=ENTERED)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(128))
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None

    @property
    def confirmed(self):
        return self.confirmed_at is not None

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def graduation_kind_label(self):
        return candidate_codes.label(rc.GRADUATION_KINDS, self.graduation_kind, lang=None)

    @property
    def exam_type_label(self):
        return candidate_codes.label(rc.EXAM_TYPES, self.exam_type, lang=None)

    @property
    def hukou_type_label(self):
        return candidate_codes.label(rc.HUKOU_TYPES, self.hukou_type, lang=None)

    @property
    def application_kind_label(self):
        return candidate_codes.label(rc.APPLICATION_KINDS, self.application_kind, lang=None)

    @property
    def fee_state_label(self):
        return candidate_codes.label(rc.FEE_STATES, self.fee_state, lang=None)

    def __repr__(self):
        return f"{self.candidate} {self.registration_number}"
