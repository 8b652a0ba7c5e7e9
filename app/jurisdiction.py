"""The jurisdiction tree (辖区) and the one scoping mechanism every view and query uses.

province → city (省辖市; 济源示范区 and 省直管县 are cities) → county (县区) → school (学校) or
registration point (报名点). Schools directly under a city hang under the city.

Subtree queries use a materialized path of node codes (``/410000/410100/410102/``): a
subtree is the range ``[path, path + '~')`` on one B-tree index, which is exact because paths
only hold digits, letters and '/'. PostgreSQL compares the column in the "C" collation so that
range follows byte order rather than the locale's.
"""
import re

from flask import abort, g
from flask_appbuilder import Model
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import codes
from .extensions import db
from .refusals import BadInput

PATH_TYPE = String(255).with_variant(String(255, collation="C"), "postgresql")

PROVINCE, CITY, COUNTY, SCHOOL, POINT = "province", "city", "county", "school", "point"
#: depth of each kind in the hierarchy; lower is higher up.
LEVELS = {PROVINCE: 1, CITY: 2, COUNTY: 3, SCHOOL: 4, POINT: 4}
KIND_LABELS = {
    PROVINCE: _l("Province"),
    CITY: _l("City"),
    COUNTY: _l("County"),
    SCHOOL: _l("School"),
    POINT: _l("Registration point"),
}
#: which kinds may hang under which parent kind.
CHILD_KINDS = {
    PROVINCE: (CITY,),
    CITY: (COUNTY, SCHOOL, POINT),
    COUNTY: (SCHOOL, POINT),
    SCHOOL: (),
    POINT: (),
}


class Node(Model):
    """A node of the jurisdiction tree (行政区划 / 学校 / 报名点)."""

    __tablename__ = "ks_node"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ks_node.id"), index=True)
    # Unique, hence indexed: the subtree range scans this index.
    path: Mapped[str] = mapped_column(PATH_TYPE, nullable=False, unique=True)
    contact: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Registration / confirmation points (报名确认点): the 成人高考 levels served (comma-separated
    # CANDIDATE_CATEGORIES[ADULT] codes, empty = all) and designations (低龄 / 医卫类审核点).
    serves_levels: Mapped[str | None] = mapped_column(String(20))
    for_minors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                             nullable=False)
    for_medical: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                              nullable=False)

    parent: Mapped["Node | None"] = relationship(remote_side=[id], backref="children")

    __audited__ = True

    @property
    def level(self):
        return LEVELS[self.kind]

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def serves_levels_label(self):
        """The 成人高考 levels a point serves, by name ("all" when none is listed)."""
        if self.kind != POINT:
            return ""
        levels = [c for c in (self.serves_levels or "").split(",") if c]
        if not levels:
            return str(_l("All levels"))
        table = codes.CANDIDATE_CATEGORIES[codes.ADULT]
        return "、".join(codes.label(table, c, lang=None, default=c) for c in levels)

    def contains(self, other):
        """True when ``other`` (a Node) is this node or below it."""
        return other is not None and other.path.startswith(self.path)

    def __repr__(self):
        return self.name


def place_name(code):
    """A division code as its full name from the tree (410102 → 河南省郑州市中原区); the bare
    code when the tree does not hold it (a division of another province)."""
    if not code:
        return None
    path = db.session.execute(select(Node.path).where(
        Node.code == code, Node.kind.in_((PROVINCE, CITY, COUNTY)))).scalar_one_or_none()
    if path is None:
        return code
    chain = [p for p in path.split("/") if p]
    names = dict(db.session.execute(select(Node.code, Node.name).where(
        Node.code.in_(chain), Node.kind.in_((PROVINCE, CITY, COUNTY)))).all())
    return "".join(names[p] for p in chain if p in names)


def make_path(parent, code):
    return (parent.path if parent else "/") + code + "/"


# --- the rules of a new unit (unit management and approved point proposals) ---------------

REGION_KINDS = (CITY, COUNTY)
_UNIT_CODE = re.compile(r"^[0-9A-Za-z]{4,20}$")


def check_new_node(node, manager_node):
    """Validate a node about to be created under ``node.parent`` by a user at ``manager_node``."""
    parent = node.parent
    if parent is None or not in_scope(parent, manager_node):
        raise BadInput(_l("Choose a parent unit inside your jurisdiction."))
    if node.kind not in CHILD_KINDS[parent.kind]:
        raise BadInput(_l("A %(kind)s cannot be placed under a %(parent)s.",
                            kind=KIND_LABELS[node.kind], parent=parent.kind_label))
    code = (node.code or "").strip()
    if node.kind in REGION_KINDS:
        # Administrative division codes: city 4101xx → county 4101xx shares the parent prefix.
        prefix = parent.code[:2] if node.kind == CITY else parent.code[:4]
        if not re.fullmatch(r"\d{6}", code) or not code.startswith(prefix):
            raise BadInput(_l("A region code is the 6-digit administrative division code "
                                "starting with %(prefix)s.", prefix=prefix))
    elif not _UNIT_CODE.fullmatch(code):
        raise BadInput(_l("A unit code has 4 to 20 letters or digits."))
    with db.session.no_autoflush:
        taken = db.session.execute(select(func.count()).where(Node.code == code)).scalar()
    if taken:
        raise BadInput(_l("The code %(code)s is already used.", code=code))
    node.code = code
    node.path = make_path(parent, code)


def check_point_fields(node):
    """Levels served and the 低龄 / 医卫类 designations belong to registration points only."""
    if node.kind != POINT and (node.serves_levels or node.for_minors or node.for_medical):
        raise BadInput(_l("Only a registration point serves exam levels or is designated for "
                            "minors or medical candidates; leave these empty for a %(kind)s.",
                            kind=node.kind_label))


def subtree_range(column, path):
    return (column >= path) & (column < path + "~")


def subtree_ids(path):
    """Select of node ids in the subtree rooted at ``path`` (for ``node_id IN (...)``)."""
    return select(Node.id).where(subtree_range(Node.path, path))


def current_node():
    user = getattr(g, "user", None)
    return getattr(user, "node", None) if user is not None and user.is_authenticated else None


def scope_clause(model, node):
    """The WHERE clause restricting ``model`` to ``node``'s subtree.

    Models declare how they reach the tree: ``Node`` itself by path, anything else by a
    ``node_id`` column, or by ``__scope_path__`` naming a column holding a node path.
    A user bound to no node sees nothing.
    """
    if node is None:
        return model.id.is_(None)
    if model is Node:
        return subtree_range(Node.path, node.path)
    scope_path = getattr(model, "__scope_path__", None)
    if scope_path is not None:
        return subtree_range(getattr(model, scope_path), node.path)
    parent = getattr(model, "__scope_parent__", None)
    if parent is not None:
        # Child rows (guardians, study history…) are scoped through the row they belong to.
        fk, parent_name = parent
        parent_model = model.registry._class_registry[parent_name]
        return getattr(model, fk).in_(
            select(parent_model.id).where(scope_clause(parent_model, node)))
    return model.node_id.in_(subtree_ids(node.path))


def is_scoped_model(model):
    """Whether rows of ``model`` live in the tree (and so must be filtered by it)."""
    return model is Node or any(hasattr(model, a) for a in ("node_id", "__scope_path__",
                                                            "__scope_parent__"))


def scoped(query, model, node=None):
    """Restrict a SQLAlchemy query or select to ``node``'s subtree (default: current user's)."""
    node = current_node() if node is None else node
    return query.filter(scope_clause(model, node))


def in_scope(obj, node=None):
    node = current_node() if node is None else node
    if node is None or obj is None:
        return False
    if isinstance(obj, Node):
        return node.contains(obj)
    scope_path = getattr(type(obj), "__scope_path__", None)
    if scope_path is not None:
        value = getattr(obj, scope_path)
        return value is not None and value.startswith(node.path)
    parent = getattr(type(obj), "__scope_parent__", None)
    if parent is not None:
        return in_scope(getattr(obj, parent[0].removesuffix("_id")), node)
    return node.contains(obj.node)


def get_scoped_or_404(model, pk, node=None):
    """Load one object through the scope; anything outside answers 404, never 403."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        abort(404)
    stmt = scoped(select(model).where(model.id == pk), model, node)
    obj = db.session.execute(stmt).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def units_in_scope(node=None):
    """The units of ``node``'s subtree (default: the current user's) in tree order, for unit
    dropdowns."""
    return db.session.execute(scoped(select(Node), Node, node).order_by(Node.path)).scalars().all()


class JurisdictionFilter(BaseFilter):
    """FAB base filter: keeps a view's rows inside the current user's subtree."""

    name = "jurisdiction"

    def apply(self, query, value):
        return scoped(query, self.model)
