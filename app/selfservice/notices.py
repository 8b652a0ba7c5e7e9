"""报考须知 on the self-service pages: the public list (read before registering, no login) and
the notices of the candidate's own region on the status page."""
from flask import abort, g, render_template
from sqlalchemy import select

from ..exams.models import Exam
from ..exams.notices import Notice
from ..extensions import db
from ..jurisdiction import Node
from ..phases.rules import ancestor_paths
from .views import bp

#: notices on one page at most (the newest first).
PAGE = 50


def notices_for(exam_id, node):
    """Published notices of ``exam_id`` for ``node`` and every region above it."""
    return db.session.execute(
        select(Notice, Node.name).join(Node, Node.id == Notice.node_id)
        .where(Notice.exam_id == exam_id, Notice.published.is_(True),
               Node.path.in_(ancestor_paths(node)))
        .order_by(Notice.published_on.desc()).limit(PAGE)).all()


@bp.route("/notices")
def public_notices():
    """Every published notice of the active exams (public: read before signing up)."""
    rows = db.session.execute(
        select(Notice, Node.name, Exam.name).join(Node, Node.id == Notice.node_id)
        .join(Exam, Exam.id == Notice.exam_id)
        .where(Notice.published.is_(True), Exam.active.is_(True))
        .order_by(Notice.published_on.desc()).limit(PAGE)).all()
    return render_template("selfservice/notices.html", rows=rows, one=None)


@bp.route("/notices/<int:pk>")
def public_notice(pk):
    row = db.session.execute(
        select(Notice, Node.name, Exam.name).join(Node, Node.id == Notice.node_id)
        .join(Exam, Exam.id == Notice.exam_id)
        .where(Notice.id == pk, Notice.published.is_(True), Exam.active.is_(True))).first()
    if row is None:
        abort(404)
    return render_template("selfservice/notices.html", rows=[row], one=row)


@bp.route("/my-notices")
def my_notices():
    """The published notices of the candidate's exam for its unit and every region above."""
    cand = g.candidate
    rows = [(notice, region, cand.exam.name)
            for notice, region in notices_for(cand.exam_id, cand.node)]
    return render_template("selfservice/notices.html", rows=rows, one=None, own=True)
