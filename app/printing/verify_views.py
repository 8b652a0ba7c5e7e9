"""The verification screen (纸质表格核验): staff type the code printed on a paper form, and
optionally the record, and learn whether the paper is current, outdated or unknown."""
from flask import request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from .render import FORMS
from .verify import CURRENT, OUTDATED, UNKNOWN, BadCode, check

STATUS_TEXT = {
    CURRENT: _l("Valid and current: the paper matches the record as it is now."),
    OUTDATED: _l("Valid but outdated: the paper was printed from an earlier version of the "
                 "record, which has changed since."),
    UNKNOWN: _l("Unknown: no form of a record in your jurisdiction carries this code."),
}


class PrintVerifyView(BaseView):
    # Shares /print with PrintView; its own permission so reviewers can verify without printing.
    route_base = "/print"
    class_permission_name = "PrintVerifyView"
    method_permission_name = {"verify": "verify"}
    default_view = "verify"

    @expose("/verify")
    @has_access
    def verify(self):
        code = request.args.get("code", "").strip()
        record = request.args.get("record", "").strip()
        finding, error = None, None
        if code:
            try:
                finding = check(code, record or None)
            except BadCode:
                error = _l("A verification code has 12 letters and digits, printed as "
                           "XXXX-XXXX-XXXX at the foot of every page.")
        elif record:
            error = _l("Enter the verification code printed on the form.")
        status = 400 if error else 200
        return self.render_template(
            "forms/verify.html", code=code, record=record, finding=finding, error=error,
            status_text=STATUS_TEXT, forms=FORMS), status
