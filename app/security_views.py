"""The user manager screen (用户管理) with delegation checks, and a scoped password reset."""
from flask import g, request
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.forms import SelectDataRequired
from flask_appbuilder.security.views import ResetPasswordView, UserDBModelView
from flask_babel import lazy_gettext as _l

from .base_views import SCOPE, GuardedMixin
from .jurisdiction import JurisdictionFilter
from .security import check_delegation, check_manageable, current_user_manages, grantable_role_names


class GrantableRoleFilter(BaseFilter):
    """Role dropdown: only the roles the current manager may grant."""

    name = "grantable"

    def apply(self, query, value):
        return query.filter(self.model.name.in_(grantable_role_names(g.user)))


_REL_FIELDS = {
    "node": [["id", JurisdictionFilter, None]],
    "roles": [["name", GrantableRoleFilter, None]],
}


class KsUserView(GuardedMixin, UserDBModelView):
    base_filters = SCOPE
    list_columns = ["username", "first_name", "last_name", "node", "roles", "active", "last_login"]
    search_columns = ["username", "first_name", "last_name", "email", "active", "node", "roles"]
    add_columns = ["username", "first_name", "last_name", "email", "node", "roles", "active",
                   "password", "conf_password"]
    edit_columns = ["username", "first_name", "last_name", "email", "node", "roles", "active"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "node", "roles", "active", "login_count"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on",
                                       "created_by", "changed_on", "changed_by"]}),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "node", "roles"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
    ]
    label_columns = {"node": _l("Unit")}
    # FAB's default asks for "roles or groups"; groups are not used here.
    validators_columns = {"roles": [SelectDataRequired()]}
    add_form_query_rel_fields = _REL_FIELDS
    edit_form_query_rel_fields = _REL_FIELDS
    search_form_query_rel_fields = _REL_FIELDS

    def guard(self, item, is_add):
        check_delegation(g.user, item.node, list(item.roles))

    def pre_delete(self, item):
        if item.id == g.user.id:
            raise ValueError(_l("You cannot delete your own account."))
        check_manageable(g.user, item)


class KsResetPasswordView(ResetPasswordView):
    """FAB's reset view takes any ``pk`` from the URL; here it must be a user one may manage."""

    def form_get(self, form):
        current_user_manages(request.args.get("pk"))

    def form_post(self, form):
        current_user_manages(request.args.get("pk"))
        return super().form_post(form)
