"""Staff users, role definitions (as data) and delegated administration (分级负责、分级管理).

Every staff user is bound to one jurisdiction node. A user manager may create and edit users
only inside its own subtree, and may grant a role only where that role's node kind is at or
below its own level; requests that try otherwise are refused with a message, also when forged.
"""
import datetime as dt
from dataclasses import dataclass, field

from flask import abort, current_app, g, has_app_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from . import staff_sessions
from .jurisdiction import CITY, COUNTY, LEVELS, POINT, PROVINCE, SCHOOL, Node
from .passwords import count_failure, is_locked, name_variants, place_variants

# Permission sets per view: "r" reads, "rw" is every permission the view has.
R, RW = "r", "rw"
READ_PERMISSIONS = {"can_list", "can_show", "can_get", "can_info", "can_timeline", "can_view"}
SELF_SERVICE_PERMS = {"can_userinfo", "resetmypassword", "userinfoedit"}
#: views every staff user gets (own profile and password).
COMMON_VIEWS = {"ResetMyPasswordView": RW, "UserInfoEditView": RW, "DashboardIndexView": R}


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: object
    kinds: tuple  # node kinds a holder of this role may be bound to
    views: dict = field(default_factory=dict)
    manages_users: bool = False

    @property
    def top_level(self):
        return min(LEVELS[k] for k in self.kinds)

    @property
    def bottom_level(self):
        return max(LEVELS[k] for k in self.kinds)


# 综合素质评定 is entered by the school (school_staff writes it) and corrected, if need be, by
# the administrators who create school users; everyone else reads it.
_READ_CANDIDATES = {"CandidateView": R, "GuardianView": R, "StudyHistoryView": R,
                    "QualityEvaluationView": R}
_WRITE_CANDIDATES = {"CandidateView": RW, "GuardianView": RW, "StudyHistoryView": RW,
                     "RegistryImportView": RW}
_ADMIN_VIEWS = {
    **_WRITE_CANDIDATES,
    "QualityEvaluationView": RW,
    "PhotoView": RW,
    "PhotoImportView": RW,
    "NodeView": RW,
    "NodeApi": R,
    "KsUserView": RW,
    "KsResetPasswordView": RW,
    "ExamView": R,
    "AuditLogView": R,
    "PrintView": RW,
    "PrintVerifyView": RW,
    "AdmissionTicketView": RW,
    "PhaseView": R,
    "PhaseExtensionView": R,
    "TimelineView": R,
    "ReviewView": RW,
    "QualificationView": RW,
    # Point proposals and data reports: the tables of app/points/rules.py decide which level
    # may run which step.
    "PointProposalView": RW,
    "DataSubmissionView": RW,
    # Incidents (突发事件, MISSION §9): opened and handled by administrators.
    "IncidentView": RW,
    # 成人高考 logistics: payment results are imported by counties and cities, exam sites
    # entered by the exam areas; ticket numbering (TicketNumberingView) is the province's.
    "AdultPaymentView": RW,
    "ExamSiteView": RW,
    # 高考 archive: counties and cities record violations; physical results are the clerk's.
    "PhysicalExamView": RW,
    "IntegrityRecordView": RW,
    # Held because administrators grant them (nobody grants more than they hold).
    "ActivationView": RW,
    "CandidateAccountView": RW,
    "UnpaidCheckView": RW,
    # National DBF exchange (app/exchange): export and import inside one's own subtree.
    "ExchangeView": RW,
}
_STAFF_VIEWS = {"NodeView": R, "NodeApi": R, "ExamView": R, "PhotoView": R, "PhaseView": R,
                "PhaseExtensionView": R, "TimelineView": R, "ReviewView": R,
                "QualificationView": R, **_READ_CANDIDATES}
# Review actions: the workflow table decides which role may run which transition.
_REVIEWER_VIEWS = {**_STAFF_VIEWS, "ReviewView": RW, "QualificationView": RW,
                   "PrintVerifyView": RW, "IntegrityRecordView": R}
# Physical results are health data: read from the county up, not by schools.
_UPPER_REVIEWER_VIEWS = {**_REVIEWER_VIEWS, "PhysicalExamView": R}
_ENTRY_VIEWS = {**_STAFF_VIEWS, **_WRITE_CANDIDATES, "PhotoView": RW, "PhotoImportView": RW,
                "ReviewView": RW, "QualificationView": RW, "PrintView": RW,
                "PrintVerifyView": RW, "ActivationView": RW,
                "CandidateAccountView": RW}

ROLES = [
    RoleDef("province_admin", _l("Province administrator"), (PROVINCE,), manages_users=True),
    RoleDef("city_admin", _l("City administrator"), (CITY,),
            {**_ADMIN_VIEWS, "PhaseExtensionView": RW}, True),
    RoleDef("county_admin", _l("County administrator"), (COUNTY,), _ADMIN_VIEWS, True),
    RoleDef("school_staff", _l("School staff"), (SCHOOL,),
            {**_ENTRY_VIEWS, "QualityEvaluationView": RW}),
    RoleDef("point_staff", _l("Registration point staff"), (POINT,),
            {**_ENTRY_VIEWS, "UnpaidCheckView": RW}),
    # First review (初审) is done where the candidate registers: the school's designated
    # reviewer, or the registration point's (its staff enter data, a reviewer checks it).
    RoleDef("school_reviewer", _l("School / point reviewer"), (SCHOOL, POINT), _REVIEWER_VIEWS),
    RoleDef("county_reviewer", _l("County reviewer"), (COUNTY,), _UPPER_REVIEWER_VIEWS),
    RoleDef("city_reviewer", _l("City reviewer"), (CITY,), _UPPER_REVIEWER_VIEWS),
    RoleDef("exam_clerk", _l("Physical-exam clerk"), (COUNTY,),
            {**_STAFF_VIEWS, "PhysicalExamView": RW}),
    RoleDef(
        "auditor",
        _l("Auditor (read-only)"),
        (PROVINCE, CITY, COUNTY),
        {**_STAFF_VIEWS, "PhysicalExamView": R, "IntegrityRecordView": R,
         "AuditLogView": R, "KsUserView": R, "PointProposalView": R,
         "DataSubmissionView": R, "IncidentView": R},
    ),
]
ROLES_BY_NAME = {r.name: r for r in ROLES}


class KsUser(User):
    """A staff user (工作人员), bound to one node of the jurisdiction tree."""

    __tablename__ = "ab_user"
    node_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ks_node.id"), index=True)
    node: Mapped[Node | None] = relationship(Node, foreign_keys=[node_id])
    # Set by repeated failed log-ins (STAFF_MAX_FAILURES); cleared by time, a successful
    # log-in after it, or an administrator above the user (KsUserView's unlock, audited).
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __audited__ = True
    __audit_exclude__ = ("password", "last_login", "login_count", "fail_login_count", "changed_on",
                         "locked_until")

    def get_full_name(self):
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}"

    def __repr__(self):
        return self.get_full_name()


# Permission changes made on /roles/ (or by `flask kaosheng init`) go to the audit trail; who
# holds a role is recorded on the user rows.
Role.__audited__ = True
Role.__audit_exclude__ = ("user", "groups")


class DelegationError(ValueError):
    """A user-management request that exceeds the manager's authority."""


def role_label(name):
    spec = ROLES_BY_NAME.get(name)
    return spec.label if spec else name


def manager_level(manager):
    if manager is None or manager.node is None:
        return None
    if not any(ROLES_BY_NAME.get(r.name, None) and ROLES_BY_NAME[r.name].manages_users for r in manager.roles):
        return None
    return manager.node.level


def roles_grantable_at(level):
    """Roles an administrator at ``level`` hands out: those bindable at or below it. ROLES must
    give each administrator every permission of these (tests/test_foundation.py checks it)."""
    return [r.name for r in ROLES if r.bottom_level >= level]


def grantable_role_names(manager):
    """Roles ``manager`` may hand out (see roles_grantable_at)."""
    level = manager_level(manager)
    if level is None:
        return []
    return roles_grantable_at(level)


def check_delegation(manager, node, roles):
    """Raise DelegationError unless ``manager`` may bind a user to ``node`` with ``roles``."""
    level = manager_level(manager)
    if level is None:
        raise DelegationError(_l("You are not allowed to manage users."))
    if node is None:
        raise DelegationError(_l("Choose the unit the user belongs to."))
    if not manager.node.contains(node):
        # The foreign unit is not named: its existence is none of the manager's business.
        raise DelegationError(_l("You may not bind a user to a unit outside your jurisdiction."))
    if not roles:
        raise DelegationError(_l("Grant the user at least one role."))
    allowed = set(grantable_role_names(manager))
    for role in roles:
        spec = ROLES_BY_NAME.get(role.name)
        if spec is None or spec.name not in allowed:
            raise DelegationError(
                _l("You may not grant the role %(role)s: it is above your level.",
                   role=role_label(role.name))
            )
        if node.kind not in spec.kinds:
            raise DelegationError(
                _l("The role %(role)s cannot be held by a user of %(unit)s (%(kind)s).",
                   role=spec.label, unit=node.name, kind=node.kind_label)
            )


def check_manageable(manager, target):
    """A manager may only touch users it could have created itself."""
    check_delegation(manager, target.node, list(target.roles))


def check_unlock(manager, target):
    """Only an administrator above the user's unit unlocks its account: a colleague of the same
    unit (or the user itself) could otherwise undo the lock on an account under attack."""
    check_manageable(manager, target)
    if target.id == manager.id or target.node.path == manager.node.path:
        raise DelegationError(_l("Only an administrator of a unit above this user's unit may "
                                 "unlock the account."))


def staff_personal_values(username, first_name, last_name, email, node):
    """What a staff password may not contain: the user name, the e-mail's local part, the
    name (with pinyin), and the names of the user's unit and the units above it, with and
    without 省/市/区… and in pinyin (zy_point123, Zhengzhou2026)."""
    values = [username, (email or "").split("@")[0]]
    values += name_variants(f"{last_name or ''}{first_name or ''}")
    while node is not None:  # the unit and its ancestors: at most five nodes
        values += place_variants(node.name)
        node = node.parent
    return [v for v in values if v]


def lock_message(locked_until):
    return _l("Too many failed log-ins: this account is locked until %(time)s. Try again "
              "later, or ask an administrator of a unit above yours to unlock it.",
              time=locked_until.strftime("%H:%M"))


def permission_names(view, mode):
    perms = set(view.base_permissions or [])
    return perms if mode == RW else perms & (READ_PERMISSIONS | SELF_SERVICE_PERMS)


class KsSecurityManager(SecurityManager):
    user_model = KsUser
    # FAB's chart view loads Google Charts from the internet; offices cannot reach it.
    userstatschartview = None

    def __init__(self, appbuilder):
        from .security_views import (KsAuthDBView, KsGroupView, KsResetMyPasswordView,
                                     KsResetPasswordView, KsRoleView, KsUserView, NoSecurityApi)

        self.authdbview = KsAuthDBView
        self.userdbmodelview = KsUserView
        self.resetpasswordview = KsResetPasswordView
        self.resetmypasswordview = KsResetMyPasswordView
        self.rolemodelview = KsRoleView
        self.groupmodelview = KsGroupView
        self.security_api = NoSecurityApi
        super().__init__(appbuilder)

    # --- sessions (app/staff_sessions.py) and the per-account lock -------------------------

    def load_user(self, pk):
        # Flask-Login's user loader: the signed cookie alone is not enough, its server-side
        # session must still exist (not logged out, revoked or expired).
        user = super().load_user(pk)
        if user is None or not staff_sessions.is_valid(user.id):
            return None
        return user

    def on_user_login(self, user):
        staff_sessions.start(user.id)

    def on_user_logout(self, user):
        staff_sessions.end()

    def reset_password(self, userid, password):
        """Own change or an administrator's reset: every session of the user ends (a thief's
        copy included); who changed their own password stays logged in on a new session."""
        super().reset_password(userid, password)
        staff_sessions.revoke_all(int(userid))
        if getattr(g, "user", None) is not None and g.user.is_authenticated \
                and g.user.id == int(userid):
            staff_sessions.start(g.user.id)

    def auth_user_db(self, username, password):
        # A locked account is refused before its password is checked, whichever address
        # asks; the fake check keeps the answer as slow as a real one.
        # FAB accepts the e-mail address as the user name: the lock must hold for both.
        user = (self.find_user(username=username) or self.find_user(email=username)) \
            if username else None
        if user is not None and is_locked(user.locked_until, dt.datetime.now()):
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                "password")
            g.login_locked_until = user.locked_until
            return None
        return super().auth_user_db(username, password)

    def update_user_auth_stat(self, user, success=True):
        if success:
            user.locked_until = None
            return super().update_user_auth_stat(user, True)
        cfg = current_app.config
        user.fail_login_count, locked_until = count_failure(
            user.fail_login_count, dt.datetime.now(), int(cfg.get("STAFF_MAX_FAILURES", 5)),
            int(cfg.get("STAFF_LOCK_MINUTES", 15)))
        if locked_until is not None:
            user.locked_until = g.login_locked_until = locked_until
        self.update_user(user)
        self.on_user_login_failed(user)
        return None

    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        """FAB asks this once per menu entry and button (30–49 queries a page): answer from the
        roles' whole permission set, read once per request (``g`` lives as long as it)."""
        if not has_app_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        key = tuple(sorted(role_ids))
        cache = g.setdefault("ks_role_permissions", {})
        if key not in cache:
            cache[key] = self._role_permissions(key)
        return (permission_name, view_name) in cache[key]

    def _role_permissions(self, role_ids):
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role

        pv, perm, view = self.permissionview_model, self.permission_model, self.viewmenu_model
        rows = self.session.execute(
            select(perm.name, view.name).select_from(pv)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pv.id)
            .join(perm, perm.id == pv.permission_id).join(view, view.id == pv.view_menu_id)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids)))
        return frozenset(tuple(row) for row in rows)

    def sync_roles(self):
        """Create every role of ROLES and set its permissions (run by ``flask kaosheng init``)."""
        appbuilder = self.appbuilder
        # Roles first: FAB hands every new permission to the admin role as it creates it.
        roles = {spec.name: self.add_role(spec.name) for spec in ROLES}
        self.add_role(self.auth_role_public)
        appbuilder.add_permissions(update_perms=True)
        views = {v.class_permission_name: v for v in appbuilder.baseviews}
        for spec in ROLES:
            role = roles[spec.name]
            if spec.name == self.auth_role_admin:
                continue  # FAB grants the admin role every permission itself
            wanted = {**COMMON_VIEWS, **spec.views}
            pvs = []
            for view_name, mode in wanted.items():
                view = views.get(view_name)
                if view is None:
                    continue
                names = permission_names(view, mode)
                pvs += [self.add_permission_view_menu(p, view_name) for p in sorted(names)]
            # Everyone's own profile page (/users/userinfo/, the navbar's 个人资料) is a
            # permission of the user manager, which most roles do not otherwise hold.
            pvs += [self.add_permission_view_menu(p, "KsUserView") for p in
                    sorted(set(views["KsUserView"].base_permissions) & SELF_SERVICE_PERMS)]
            pvs += self._menu_permissions(set(wanted))
            role.permissions = [pv for pv in pvs if pv is not None]
        self.session.commit()

    def _menu_permissions(self, view_names):
        pvs = []
        for category in self.appbuilder.menu.get_list():
            items = [c for c in category.childs if c.baseview is not None
                     and c.baseview.class_permission_name in view_names]
            if category.baseview is not None and category.baseview.class_permission_name in view_names:
                items.append(category)
            for item in items:
                pvs.append(self.add_permission_view_menu("menu_access", item.name))
            if items and category.childs:
                pvs.append(self.add_permission_view_menu("menu_access", category.name))
        return pvs


def get_user_or_404(pk):
    from .jurisdiction import get_scoped_or_404

    return get_scoped_or_404(KsUser, pk)


def current_user_manages(pk):
    """Load a user the current manager may manage, 404 outside the subtree."""
    target = get_user_or_404(pk)
    try:
        check_manageable(g.user, target)
    except DelegationError:
        abort(404)
    return target

