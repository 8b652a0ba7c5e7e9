"""高考 优惠 and 专项 qualifications (seed 002 §三.3–4): one row per candidate and policy.

``part`` says which procedure the row follows (bonus_codes: MINORITY 民审, POLICY other
加分/降分 policies, SPECIAL 贫困地区定向招生 / 农村学生单独招生); its steps and who takes them
are ``bonus_rules``'s transition tables. Scoped and audited through the candidate."""
import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes as candidate_codes
from ..candidates.models import Candidate
from . import bonus_codes

# States of a claim (every part uses a subset, see bonus_rules).
SUBMITTED = "submitted"      # the county recorded the paper form and its scan
COLLECTED = "collected"      # the city collected it (民审)
ENTERED = "entered"          # the city entered it (other policies)
COUNTY_OK = "county_ok"      # 专项: approved by the county
CITY_OK = "city_ok"          # 专项: approved by the city
APPROVED = "approved"        # approved by the province: the qualification holds
REJECTED = "rejected"        # rejected, with the reason
STATE_LABELS = {
    SUBMITTED: _l("Form submitted to the county"), COLLECTED: _l("Collected by the city"),
    ENTERED: _l("Entered by the city"), COUNTY_OK: _l("Approved by county"),
    CITY_OK: _l("Approved by city"), APPROVED: _l("Approved by province"),
    REJECTED: _l("Rejected"),
}
#: decided: nothing more happens unless the county or city records it again.
DECIDED = (APPROVED, REJECTED)


class BonusClaim(Model):
    __tablename__ = "ks_gaokao_claim"
    __table_args__ = (UniqueConstraint("candidate_id", "policy"),)
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True
    __audit_exclude__ = ("version",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, index=True)
    part: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    policy: Mapped[str] = mapped_column(String(4), nullable=False)  # bonus_codes.POLICIES
    points: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))  # evidence (证明材料)
    scan: Mapped[str | None] = mapped_column(String(300))  # filestore reference
    scan_name: Mapped[str | None] = mapped_column(String(200))
    scan_type: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now,
                                                    nullable=False)

    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None

    @property
    def name(self):
        return f"{self.candidate.name}（{self.policy_label}）"

    @property
    def policy_label(self):
        row = bonus_codes.policy(self.policy)
        return candidate_codes.label(((row["code"], row["zh"], row["en"]),), self.policy,
                                     lang=None) if row else self.policy

    @property
    def part_label(self):
        return candidate_codes.label(bonus_codes.PART_LABELS, self.part, lang=None,
                                     default=self.part)

    @property
    def effect_label(self):
        row = bonus_codes.policy(self.policy)
        return candidate_codes.label(bonus_codes.EFFECT_LABELS, row["effect"], lang=None) \
            if row else ""

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    def __repr__(self):
        return self.name
