"""Demo data: one point proposal of 中原区 for the 2026 成人高考, awaiting the city (郑州市 can
agree to it, then 河南省 approves and the point appears under 中原区). Idempotent: a proposal
with the code exists already, or the point was set up, and nothing is added."""
import datetime as dt

from sqlalchemy import select

from ..codes import ADULT
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import Node
from ..security import KsUser
from .models import PointProposal
from .rules import PROPOSED

CODE = "BM410102S"


def seed_points():
    """Called from ``app.demo.seed_demo`` after the tree, exams and users; returns how many
    proposals it added."""
    if db.session.execute(select(PointProposal.id).where(PointProposal.code == CODE)).first() \
            or db.session.execute(select(Node.id).where(Node.code == CODE)).first():
        return 0
    county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one_or_none()
    exam = db.session.execute(
        select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)).scalar_one_or_none()
    if county is None or exam is None:
        return 0
    proposer = db.session.execute(
        select(KsUser).where(KsUser.username == "zy_admin")).scalar_one_or_none()
    db.session.add(PointProposal(
        node=county, exam=exam, name="中原区社区学院报名确认点", code=CODE,
        address="郑州市中原区桐柏路 186 号", contact="周老师", phone="0371-67895678",
        serves_levels="01,02", state=PROPOSED, proposed_by=proposer,
        proposed_at=dt.datetime.now()))
    db.session.flush()
    return 1
