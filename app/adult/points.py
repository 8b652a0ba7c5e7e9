"""Confirmation points (报名确认点) a 成人高考 candidate may choose."""
from sqlalchemy import select

from ..extensions import db
from ..jurisdiction import POINT, Node, subtree_range
from .rules import point_requirements, point_refusal, province_path


def eligible_points(candidate):
    """Active points of the candidate's province that fit its first preference and age,
    ordered by code; empty before there is a first preference."""
    needs = point_requirements(candidate)
    if needs is None:
        return []
    province = province_path(candidate.node)
    points = db.session.execute(
        select(Node).where(Node.kind == POINT, Node.active.is_(True),
                           subtree_range(Node.path, province)).order_by(Node.path)
    ).scalars().all()
    return [p for p in points if point_refusal(p, province, *needs) is None]
