"""Error pages (403, 404, 413, 500): translated, in the staff layout (FAB's base template), in
the self-service layout under ``/me/``, and as JSON under ``/api/``."""
import logging

from flask import current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

log = logging.getLogger(__name__)

ERRORS = {
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page or record does not exist, or it is outside your "
                                   "jurisdiction.")),
    413: (_l("Request too large"), _l("The request is larger than %(mb)d MB, the most this "
                                      "system accepts at once. Split the file or make it "
                                      "smaller, then try again.")),
    500: (_l("Server error"), _l("Something went wrong on the server. The error has been "
                                 "logged; please try again later or tell your administrator.")),
}


def _texts(code):
    title, message = ERRORS[code]
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return str(title), str(message % {"mb": limit // (1024 * 1024)} if code == 413 else message)


def _wants_json():
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def _page(code, title, message):
    if request.path.startswith("/me/") or request.path == "/me":
        return render_template("errors/selfservice.html", code=code, title=title,
                               message=message)
    # The request may have failed before FAB's before_request set g.user (a 413 is raised
    # by the CSRF check reading the form, which runs first).
    if getattr(g, "user", None) is None:
        g.user = current_user
    appbuilder = current_app.appbuilder
    return render_template("errors/error.html", code=code, title=title, message=message,
                           appbuilder=appbuilder, base_template=appbuilder.base_template)


def render_error(code, message):
    """The error page of ``code`` with its own ``message`` (a refusal's), as a response."""
    title = str(ERRORS[code][0]) if code in ERRORS else str(_l("Not possible"))
    try:
        return _page(code, title, message), code
    except Exception:
        log.exception("error page %s could not be rendered", code)
        return render_template("errors/plain.html", code=code, title=title,
                               message=message), code


def _handle(error):
    code = getattr(error, "code", 500) or 500
    title, message = _texts(code)
    if _wants_json():
        return jsonify(status=code, message=message), code
    try:
        return _page(code, title, message), code
    except Exception:  # the layout itself failed (database down…): a page without it
        log.exception("error page %s could not be rendered", code)
        return render_template("errors/plain.html", code=code, title=title,
                               message=message), code


def register_error_pages(app):
    for code in ERRORS:
        app.register_error_handler(code, _handle)
