"""Home page: what the signed-in user is responsible for, counted in SQL within the subtree."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from .candidates.states import STATE_LABELS
from .exams.picker import active_exams
from .extensions import db
from .jurisdiction import KIND_LABELS, Node, scoped
from .progress import PROGRESS_STATES, progress


def subtree_counts(node):
    stmt = scoped(select(Node.kind, func.count()).group_by(Node.kind), Node, node)
    counts = dict(db.session.execute(stmt).all())
    return [(KIND_LABELS[k], counts.get(k, 0)) for k in KIND_LABELS]


class DashboardIndexView(IndexView):
    index_template = "kaosheng/index.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))
        node = user.node
        exams = active_exams()
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            node=node,
            counts=subtree_counts(node) if node is not None else [],
            exams=exams,
            progress={e.id: progress(node, e.id) for e in exams} if node is not None else {},
            states=[(s, STATE_LABELS[s]) for s in PROGRESS_STATES],
        )
