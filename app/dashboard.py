"""Home page: what the signed-in user is responsible for, counted in SQL within the subtree."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import case, func, select

from .extensions import db
from .jurisdiction import KIND_LABELS, Node, scoped, subtree_range


def subtree_counts(node):
    stmt = scoped(select(Node.kind, func.count()).group_by(Node.kind), Node, node)
    counts = dict(db.session.execute(stmt).all())
    return [(KIND_LABELS[k], counts.get(k, 0)) for k in KIND_LABELS]


#: The columns of the progress table: review states, then the lock and the photo.
PROGRESS_STATES = ("draft", "confirmed", "rejected", "school_approved", "county_approved",
                   "city_approved")


def progress(node, exam_id):
    """报名进度 of ``node``'s subtree for one exam (MISSION §5): one row per unit directly below
    ``node`` (or ``node`` itself when it has none), each {unit, total, <state>…, locked, photo},
    and the totals. Counted in SQL: one grouped query for the records, one for the photos."""
    from .candidates.models import Candidate
    from .photos.models import PHOTO, CandidatePhoto

    children = db.session.execute(
        select(Node).where(Node.parent_id == node.id).order_by(Node.code)).scalars().all()
    units = children or [node]
    # Which listed unit a record's unit falls under: one CASE branch per unit (a few dozen).
    unit_of = case(*[(subtree_range(Node.path, u.path), u.id) for u in units], else_=None)
    base = (select(unit_of.label("unit")).select_from(Candidate)
            .join(Node, Node.id == Candidate.node_id)
            .where(Candidate.exam_id == exam_id, subtree_range(Node.path, node.path)))
    rows = {u.id: dict(unit=u, total=0, locked=0, photo=0, **dict.fromkeys(PROGRESS_STATES, 0))
            for u in units}
    counts = base.add_columns(Candidate.state, Candidate.locked, func.count()).group_by(
        unit_of, Candidate.state, Candidate.locked)
    for unit_id, state, locked, n in db.session.execute(counts):
        row = rows.get(unit_id)
        if row is None:
            continue
        row["total"] += n
        row[state] = row.get(state, 0) + n
        row["locked"] += n if locked else 0
    photos = base.add_columns(func.count()).join(
        CandidatePhoto, (CandidatePhoto.candidate_id == Candidate.id)
        & (CandidatePhoto.kind == PHOTO) & CandidatePhoto.current.is_(True)).group_by(unit_of)
    for unit_id, n in db.session.execute(photos):
        if unit_id in rows:
            rows[unit_id]["photo"] = n
    listed = list(rows.values())
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
        from .review.workflow import STATE_LABELS

        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            node=node,
            counts=subtree_counts(node) if node is not None else [],
            exams=exams,
            progress={e.id: progress(node, e.id) for e in exams} if node is not None else {},
            states=[(s, STATE_LABELS[s]) for s in PROGRESS_STATES],
        )
