"""成人高考 on-site confirmation (现场确认, seed 004 §四.3; rules in adult/onsite.py): what the
confirmation point records beside the first-review approval — who saw the documents, and who
saw the candidate copy and sign the integrity pledge by hand, and when. One row per candidate,
audited, with an optimistic ``version``."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..candidates.models import Candidate


class AdultOnsite(Model):
    __tablename__ = "ks_adult_onsite"
    __scope_parent__ = ("candidate_id", "Candidate")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ks_candidate.id", ondelete="CASCADE"), nullable=False, unique=True)
    #: the point's staff member who saw the pledge copied and signed by hand (抄写诚信考试承诺书)
    pledge_copied_by: Mapped[str | None] = mapped_column(String(128))
    pledge_copied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: who checked the original identity document against the candidate
    documents_seen_by: Mapped[str | None] = mapped_column(String(128))
    documents_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(128))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                         server_default="1")
    candidate: Mapped[Candidate] = relationship(Candidate)

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self):
        return self.candidate.name if self.candidate is not None else ""

    def audit_node_path(self):
        return self.candidate.node.path if self.candidate and self.candidate.node else None

    def __repr__(self):
        return self.name
