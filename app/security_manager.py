"""FAB's security manager for kaosheng (config FAB_SECURITY_MANAGER_CLASS): wires the staff
screens of ``security_views``, server-side sessions, the per-account lock, the per-request
permission cache and the role sync from ``security.ROLES``. It sits above both ``security``
(roles, users, delegation rules) and ``security_views`` (the screens), so neither imports it."""
import datetime as dt

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from sqlalchemy import select
from werkzeug.security import check_password_hash

from . import event_metrics, staff_sessions
from .event_metrics import STAFF
from .passwords import count_failure, is_locked
from .security import COMMON_VIEWS, READ_PERMISSIONS, ROLES, RW, SELF_SERVICE_PERMS, KsUser
from .security_views import (KsAuthDBView, KsResetMyPasswordView, KsResetPasswordView,
                             KsRoleView, KsUserView, NoSecurityApi)


def permission_names(view, mode):
    perms = set(view.base_permissions or [])
    return perms if mode == RW else perms & (READ_PERMISSIONS | SELF_SERVICE_PERMS)


class KsSecurityManager(SecurityManager):
    user_model = KsUser

    def __init__(self, appbuilder):
        self.authdbview = KsAuthDBView
        self.userdbmodelview = KsUserView
        self.resetpasswordview = KsResetPasswordView
        self.resetmypasswordview = KsResetMyPasswordView
        self.rolemodelview = KsRoleView
        self.security_api = NoSecurityApi
        super().__init__(appbuilder)

    def register_views(self):
        """FAB's security screens for database log-in (config AUTH_TYPE), without those
        nothing here uses: groups (roles are granted to users directly), the statistics
        chart (it loads Google Charts, which offices cannot reach), self-registration and
        the raw permission tables."""
        appbuilder = self.appbuilder
        appbuilder.add_api(self.security_api)
        appbuilder.add_view_no_menu(self.userinfoeditview())
        appbuilder.add_view_no_menu(self.resetpasswordview())
        appbuilder.add_view_no_menu(self.resetmypasswordview())
        self.auth_view = self.authdbview()
        appbuilder.add_view_no_menu(self.auth_view)
        if self.is_auth_limited:
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(self.auth_view.blueprint)
        # The menu names stay FAB's: roles' menu_access permissions are stored under them.
        self.user_view = appbuilder.add_view(
            self.userdbmodelview, "List Users", icon="fa-user", label=_l("List Users"),
            category="Security", category_icon="fa-cogs", category_label=_l("Security"))
        role_view = appbuilder.add_view(
            self.rolemodelview, "List Roles", icon="fa-user-gear", label=_l("List Roles"),
            category="Security", category_icon="fa-cogs")
        role_view.related_views = [self.user_view.__class__]

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
            return event_metrics.counted_login(STAFF, None)
        return event_metrics.counted_login(STAFF, super().auth_user_db(username, password))

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
            event_metrics.count_lockout(STAFF)
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
