"""Home page: what the signed-in user is responsible for, counted in SQL within the subtree."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from .extensions import db
from .jurisdiction import KIND_LABELS, Node, scoped
from .progress import LOCKED, PHOTO, TOTAL, state_metric, unit_counts


def subtree_counts(node):
    stmt = scoped(select(Node.kind, func.count()).group_by(Node.kind), Node, node)
    counts = dict(db.session.execute(stmt).all())
    return [(KIND_LABELS[k], counts.get(k, 0)) for k in KIND_LABELS]


#: The columns of the progress table: review states, then the lock and the photo.
PROGRESS_STATES = ("draft", "confirmed", "rejected", "school_approved", "county_approved",
                   "city_approved", "province_approved")


def progress(node, exam_id):
    """报名进度 of ``node``'s subtree for one exam (MISSION §5): one row per unit directly below
    ``node`` (or ``node`` itself when it has none), each {unit, total, <state>…, locked, photo},
    and the totals. Read from the counts the database keeps (app/progress.py): the cost follows
    the number of units, not of candidates."""
    children = db.session.execute(
        select(Node).where(Node.parent_id == node.id).order_by(Node.code)).scalars().all()
    units = children or [node]
    counts = unit_counts(node, exam_id, units)
    listed = []
    for unit in units:
        metrics = counts[unit.id]
        row = dict(unit=unit, total=metrics.get(TOTAL, 0), locked=metrics.get(LOCKED, 0),
                   photo=metrics.get(PHOTO, 0))
        row.update({s: metrics.get(state_metric(s), 0) for s in PROGRESS_STATES})
        listed.append(row)
    totals = {key: sum(r[key] for r in listed) for key in ("total", "locked", "photo",
                                                            *PROGRESS_STATES)}
    return listed, totals


class DashboardIndexView(IndexView):
    index_template = "kaosheng/index.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))
        node = user.node
        from .exams.models import Exam

        exams = db.session.execute(
            select(Exam).where(Exam.active.is_(True)).order_by(Exam.year.desc(), Exam.kind)
        ).scalars().all()
        from .candidates.states import STATE_LABELS

        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            node=node,
            counts=subtree_counts(node) if node is not None else [],
            exams=exams,
            progress={e.id: progress(node, e.id) for e in exams} if node is not None else {},
            states=[(s, STATE_LABELS[s]) for s in PROGRESS_STATES],
        )
