"""The user manager screen (用户管理) with delegation checks and the audited unlock, the
role screen in Chinese, the password screens with the staff password rules, and the login
page's lock message."""
from types import SimpleNamespace

from flask import current_app, flash, g, redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import (BS3PasswordFieldWidget, BS3TextFieldWidget,
                                           Select2ManyWidget)
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import ResetPasswordForm, SelectDataRequired
from flask_appbuilder.security.sqla.models import PermissionView, Role
from flask_appbuilder.security.views import (AuthDBView, ResetMyPasswordView, ResetPasswordView,
                                             RoleModelView, UserDBModelView)
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from . import staff_sessions
from .audit import log_event
from .base_views import (SCOPE, GuardedMixin, HardenedViewMixin, OfferedSelectField,
                         OfferedSelectMultipleField)
from .extensions import db
from .jurisdiction import JurisdictionFilter, Node, units_in_scope
from .passwords import password_problems
from .security import (DelegationError, KsUser, check_delegation, check_manageable,
                       check_unlock, current_user_manages, grantable_role_names, lock_message,
                       role_label, staff_personal_values)

PASSWORD_HINT = _l("At least 8 characters, not a common or easily guessed password.")
EMAIL_HINT = _l("Optional: leave it empty for a user without an e-mail address.")
# The shape of an address only: wtforms' Email() (email_validator) refuses reserved domains,
# such as the demo users' *.invalid addresses, which an edit must be able to keep.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class StaffPasswordRules:
    """The candidates' password rules (app/passwords.py) with the staff user's own values;
    ``owner(form)`` gives the user (or the user being created)."""

    def __init__(self, owner):
        self.owner = owner

    def __call__(self, form, field):
        user = self.owner(form)
        personal = staff_personal_values(user.username, user.first_name, user.last_name,
                                         user.email, user.node)
        problems = password_problems(field.data, personal)
        if problems:
            raise ValidationError(" ".join(str(p) for p in problems))


def _password_field(owner):
    return PasswordField(_l("Password"), description=PASSWORD_HINT,
                         validators=[DataRequired(), StaffPasswordRules(owner)],
                         widget=BS3PasswordFieldWidget())


def _email_not_taken(form, field):
    """Another user's address is refused by name (FAB's check says only 已经存在); on edit
    FAB sets ``form._id`` to the user's own id, which may keep its address."""
    holder = db.session.execute(select(KsUser.id).where(KsUser.email == field.data)).scalar()
    if holder is not None and holder != getattr(form, "_id", None):
        raise ValidationError(_l("Another user already has this e-mail address."))


def _email_field():
    """Optional (staff at schools often have none): a blank field is stored as NULL by
    KsUser, a given address must look like one and be nobody else's."""
    return StringField(_l("E-mail"), description=EMAIL_HINT, widget=BS3TextFieldWidget(),
                       validators=[Optional(), Length(max=320),
                                   Regexp(EMAIL_SHAPE, message=_l(
                                       "Enter an address such as name@example.com, or leave "
                                       "the field empty.")),
                                   _email_not_taken])


def _user_being_added(form):
    return SimpleNamespace(username=form.username.data, first_name=form.first_name.data,
                           last_name=form.last_name.data, email=form.email.data,
                           node=form.node.data)


class GrantableRoleFilter(BaseFilter):
    """Role dropdown: only the roles the current manager may grant."""

    name = "grantable"

    def apply(self, query, value):
        return query.filter(self.model.name.in_(grantable_role_names(g.user)))


_REL_FIELDS = {
    "node": [["id", JurisdictionFilter, None]],
    "roles": [["name", GrantableRoleFilter, None]],
}


def _role_text(role):
    return str(role_label(role.name))


def roles_text(roles):
    """Roles by their Chinese names (FAB prints the list of raw names: [county_admin])."""
    return "、".join(_role_text(r) for r in roles)


def _offered_roles():
    stmt = select(Role).where(Role.name.in_(grantable_role_names(g.user))).order_by(Role.id)
    return db.session.execute(stmt).scalars().all()


# The dropdowns offer only what the manager may grant; a forged id still resolves, so the
# delegation check refuses it with its own message (outside the jurisdiction / role too high).
_FORM_FIELDS = {
    "node": OfferedSelectField(_l("Unit"), Node, units_in_scope, validators=[DataRequired()]),
    "roles": OfferedSelectMultipleField(_l("Roles"), Role, _offered_roles,
                                        get_label=_role_text,
                                        validators=[SelectDataRequired()]),
}

# FAB's own labels are English or translated for LDAP/OpenID set-ups; these are the screens'.
_USER_LABELS = {
    "username": _l("Login name"), "first_name": _l("Given name"),
    "last_name": _l("Family name"), "email": _l("E-mail"), "active": _l("Account enabled"),
    "node": _l("Unit"), "roles": _l("Roles"), "locked_until": _l("Locked until"),
    "last_login": _l("Last log-in"), "login_count": _l("Log-in count"),
    "fail_login_count": _l("Failed log-ins"), "created_on": _l("Created on"),
    "created_by": _l("Created by"), "changed_on": _l("Changed on"),
    "changed_by": _l("Changed by"), "password": _l("Password"),
    "conf_password": _l("Confirm password"),
}


class KsUserView(GuardedMixin, UserDBModelView):
    list_title, show_title = _l("Users"), _l("User account")
    add_title, edit_title = _l("Add user"), _l("Edit user")
    base_filters = SCOPE
    list_columns = ["username", "first_name", "last_name", "node", "roles", "active", "last_login",
                    "locked_until"]
    search_columns = ["username", "first_name", "last_name", "email", "active", "node", "roles"]
    add_columns = ["username", "first_name", "last_name", "email", "node", "roles", "active",
                   "password", "conf_password"]
    edit_columns = ["username", "first_name", "last_name", "email", "node", "roles", "active"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "node", "roles", "active", "login_count"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "locked_until",
                                       "created_on", "created_by", "changed_on", "changed_by"]}),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "node", "roles"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
    ]
    label_columns = _USER_LABELS
    description_columns = {
        "username": _l("The name this user logs in with."),
        "first_name": _l("The user's given name."),
        "last_name": _l("The user's family name."),
        "email": EMAIL_HINT,
        "active": _l("Deactivate a user who leaves rather than deleting it."),
        "password": PASSWORD_HINT,
        "conf_password": _l("Type the password again."),
    }
    formatters_columns = {"roles": roles_text}
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, **_FORM_FIELDS,
                             "email": _email_field(),
                             "password": _password_field(_user_being_added)}
    edit_form_extra_fields = {**(UserDBModelView.edit_form_extra_fields or {}), **_FORM_FIELDS,
                              "email": _email_field()}
    search_form_query_rel_fields = _REL_FIELDS

    def guard(self, item, is_add):
        if item.id is not None and item.id == g.user.id:
            # The manager's authority comes from its own unit and roles, and g.user is this
            # very object: the check would judge the raised values.
            state = inspect(item)
            if state.attrs.node.history.has_changes() or state.attrs.roles.history.has_changes():
                raise DelegationError(_l("You cannot change your own unit or roles; "
                                         "an administrator above you can."))
        check_delegation(g.user, item.node, list(item.roles))

    def pre_delete(self, item):
        if item.id == g.user.id:
            raise ValueError(_l("You cannot delete your own account."))
        check_manageable(g.user, item)

    def post_update(self, item):
        if not item.active:
            # A deactivated user's open sessions end now, not when their cookies expire.
            staff_sessions.revoke_all(item.id)

    @action("unlock", _l("Unlock"), _l("Unlock the selected accounts?"), "fa-unlock")
    def unlock(self, items):
        """Lift the failed-log-in lock (audited); only above the user's unit (check_unlock)."""
        for user in items if isinstance(items, list) else [items]:
            try:
                check_unlock(g.user, user)
            except DelegationError as exc:
                flash(f"{user.username}: {exc}", "danger")
                continue
            was_locked = user.locked_until
            user.locked_until, user.fail_login_count = None, 0
            db.session.commit()
            log_event("unlock", "ab_user", {"username": user.username, "locked_until":
                      was_locked.isoformat(timespec="seconds") if was_locked else None},
                      row_id=user.id)
            flash(_l("%(user)s can log in again.", user=user.username), "success")
        return redirect(self.get_redirect())


def _managed_user(form):
    return current_user_manages(request.args.get("pk"))


class KsResetPasswordForm(ResetPasswordForm):
    password = _password_field(_managed_user)


class KsResetMyPasswordForm(ResetPasswordForm):
    password = _password_field(lambda form: g.user)


class KsResetMyPasswordView(ResetMyPasswordView):
    """Own password change, with the staff password rules."""

    # The permission keeps FAB's name: roles (COMMON_VIEWS) and databases already hold it.
    class_permission_name = "ResetMyPasswordView"
    form = KsResetMyPasswordForm


class KsAuthDBView(AuthDBView):
    """FAB's login page; a locked account is told so (and until when)."""

    @property
    def invalid_login_message(self):
        locked_until = g.get("login_locked_until")
        if locked_until is None:
            return AuthDBView.invalid_login_message
        return lock_message(locked_until)


class KsResetPasswordView(ResetPasswordView):
    """FAB's reset view takes any ``pk`` from the URL; here it must be a user one may manage."""

    form = KsResetPasswordForm

    def form_get(self, form):
        current_user_manages(request.args.get("pk"))

    def form_post(self, form):
        current_user_manages(request.args.get("pk"))
        return super().form_post(form)


# FAB's permission names; a view's action permissions are named by the action's own label.
PERMISSION_LABELS = {
    "can_list": _l("List"), "can_show": _l("Details"), "can_add": _l("Add"),
    "can_edit": _l("Edit"), "can_delete": _l("Delete"), "menu_access": _l("Menu entry"),
    "can_this_form_get": _l("Open the form"), "can_this_form_post": _l("Submit the form"),
    "can_get": _l("Read"), "can_info": _l("Read"), "can_view": _l("View"),
    "can_userinfo": _l("Own profile"), "userinfoedit": _l("Edit own profile"),
    "resetmypassword": _l("Change own password"),
    "resetpasswords": _l("Reset other users' passwords"),
    "can_confirm": _l("Confirm"), "can_api_transition": _l("Review actions"),
    "can_export": _l("Export"), "can_import": _l("Import"), "can_print": _l("Print"),
    "can_verify": _l("Verify"), "can_capture": _l("Capture photos"),
    "can_issue": _l("Issue accounts"),
    "can_timeline": _l("View"), "can_submit": _l("Submit reports"), "can_act": _l("Handle"),
    "can_snapshot": _l("Snapshot"), "can_record": _l("Record results"), "can_run": _l("Run"),
}
# Views that have no menu entry of their own.
VIEW_LABELS = {
    "UserInfoEditView": _l("Own profile"), "ResetMyPasswordView": _l("Own password"),
    "KsResetPasswordView": _l("Reset passwords"), "MenuApi": _l("Menu"),
    "NodeApi": _l("Units"), "PhotoView": _l("Photos"), "ActivationView": _l("Activation"),
}


def _menu_items():
    for category in current_app.appbuilder.menu.get_list():
        yield category
        yield from category.childs


def _view_label(name):
    """A permission's view (``CandidateView``) or menu entry (``Candidates``) as the menu
    names it."""
    for item in _menu_items():
        if item.name == name or (item.baseview is not None
                                 and item.baseview.class_permission_name == name):
            return str(item.label)
    for view in current_app.appbuilder.baseviews:
        if view.class_permission_name == name and "list_title" in vars(type(view)):
            return str(view.list_title)
    return str(VIEW_LABELS.get(name, name))


def _permission_name_label(name, view_name):
    if name in PERMISSION_LABELS:
        return str(PERMISSION_LABELS[name])
    for view in current_app.appbuilder.baseviews:
        if view.class_permission_name == view_name and name in getattr(view, "actions", {}):
            return str(view.actions[name].text)
    return name


def permission_label(pv):
    """``can add on CandidateView`` as 考生管理：新增."""
    return "%s：%s" % (_view_label(pv.view_menu.name),
                      _permission_name_label(pv.permission.name, pv.view_menu.name))


def permissions_text(permissions):
    """A role's permissions grouped by screen: 考生管理：列表、新增；审核：…"""
    screens = {}
    for pv in permissions:
        screens.setdefault(_view_label(pv.view_menu.name), set()).add(
            _permission_name_label(pv.permission.name, pv.view_menu.name))
    return "；".join(f"{screen}：{'、'.join(sorted(names))}"
                    for screen, names in sorted(screens.items()))


def role_name_text(name):
    """A role by its Chinese name; FAB's role of anonymous visitors has none in ROLES."""
    if name == current_app.appbuilder.sm.auth_role_public:
        return str(_l("Visitors not logged in"))
    return str(role_label(name))


def _all_permissions():
    return db.session.execute(select(PermissionView)).scalars().all()


def _permissions_field():
    return QuerySelectMultipleField(_l("Permissions"), query_func=_all_permissions,
                                    get_pk_func=lambda pv: pv.id, get_label=permission_label,
                                    widget=Select2ManyWidget())


class KsRoleView(HardenedViewMixin, RoleModelView):
    """Roles by their Chinese names and permissions by the screens' names. The roles of
    security.ROLES get their permissions from ``flask kaosheng init`` (sync_roles)."""

    list_title, show_title = _l("Roles"), _l("Role definition")
    add_title, edit_title = _l("Add role"), _l("Edit role")
    # FAB's role widgets print names and permissions raw, past the formatters.
    list_widget, show_widget = ListWidget, ShowWidget
    list_columns = ["name"]
    search_columns = ["name"]
    label_columns = {"name": _l("Role"), "permissions": _l("Permissions")}
    formatters_columns = {"name": role_name_text, "permissions": permissions_text}
    add_form_extra_fields = edit_form_extra_fields = {"permissions": _permissions_field()}


class NoSecurityApi(SecurityApi):
    """FAB always registers its JWT API (/api/v1/security/login and /refresh): its tokens (a
    30-day refresh token) would bypass the login rate limit and the session expiry. Nothing
    here uses JWT (the JSON endpoints take the session and the CSRF header), so it gets no
    routes."""

    include_route_methods = set()
