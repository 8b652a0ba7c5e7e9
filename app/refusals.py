"""One exception for every refusal a rule makes, and one way it reaches the user.

A guard that says "no" raises :class:`Refused` (or a subclass) with a translated message and
an HTTP status. :func:`register` installs one error handler that turns it into

* JSON ``{"status": …, "message": …}`` for ``/api/`` and JSON requests,
* a flash message and a redirect back to the page the user came from, for form posts and
  list actions of the staff screens and the self-service pages,
* the translated error page otherwise.

Views that want the message beside a form catch ``Refused`` and use ``str(exc)``; nobody
returns refusal strings or compares states to decide.
"""
from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, request

from .errors import render_error



def message_text(message):
    """``str(message)``, falling back to the English source inside an app context that has
    no Flask-Babel (flask_babel raises KeyError there; outside any context it already
    falls back)."""
    try:
        return str(message)
    except KeyError:
        text, params = message._args[0], message._kwargs
        return text % params if params else text


class Refused(Exception):
    """A rule refused an action. ``message`` is a (lazy) translated string; ``status`` the HTTP
    status the refusal answers with (409 conflict with the record's state by default)."""

    status = 409

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self):
        return message_text(self.message)


class NotAllowed(Refused):
    """The actor may not do this (role, jurisdiction)."""

    status = 403


class BadInput(Refused):
    """The input cannot be used (format, size, content)."""

    status = 400


def _wants_json():
    return request.path.startswith("/api/") or request.is_json or (
        request.accept_mimetypes.best == "application/json")


def _back():
    """The page the request came from, when it is on this site; else the path itself for a
    GET (never a loop for a POST)."""
    ref = request.referrer
    if ref:
        parts = urlsplit(ref)
        if parts.netloc in ("", request.host):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/me/" if request.path.startswith("/me") else "/"


def handle_refused(exc):
    message = str(exc)
    if _wants_json():
        return jsonify(status=exc.status, message=message), exc.status
    if request.method == "POST":
        flash(message, "danger")
        return redirect(_back())
    return render_error(exc.status, message)


def register(app):
    app.register_error_handler(Refused, handle_refused)
