"""Capture page (拍照/上传) of a candidate's photo and ID document, and the scoped file endpoint."""
import os

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..candidates import policy
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from . import storage
from .checks import Failure
from .models import ID_DOCUMENT, KINDS, PHOTO, StoredFile
from .normalise import ABOVE_CROWN
from .results import rows, shown
from .rules import HEAD_SHARE_TARGET, RULES
from .service import PHOTO_CAPTURE, accept_photo, check_upload, current_photo

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
KIND_LABELS = {PHOTO: _l("Candidate photo"), ID_DOCUMENT: _l("ID document")}
PERMISSIONS = ["can_capture", "can_view"]
#: Head width over crown-to-chin height, for the guide's ovals (a typical adult head).
HEAD_ASPECT = 0.7


def _oval(share, centre_y, aspect=600 / 450):
    """An oval ``share`` of the frame high, centred at ``centre_y``, as CSS percentages."""
    width = share * HEAD_ASPECT * aspect
    return {"top": f"{100 * (centre_y - share / 2):.1f}%", "height": f"{100 * share:.1f}%",
            "left": f"{100 * (1 - width) / 2:.1f}%", "width": f"{100 * width:.1f}%"}


def _guide():
    """The camera guide's head ovals (shares of the photo frame), from the rules: the head
    at the normaliser's target share, its crown where the normaliser puts it, and the
    smallest and largest head the head-height rule allows, all centred."""
    rule = RULES["head_height"]
    centre_y = ABOVE_CROWN * (1 - HEAD_SHARE_TARGET) + HEAD_SHARE_TARGET / 2
    return {"target": _oval(HEAD_SHARE_TARGET, centre_y), "min": _oval(rule.low, centre_y),
            "max": _oval(rule.high, centre_y),
            "shares": {"target": HEAD_SHARE_TARGET, "min": rule.low, "max": rule.high}}


GUIDE = _guide()


def _too_big(limit):
    return Failure("upload_too_large", _l("The upload is larger than %(max)d MB",
                                          max=limit // (1024 * 1024))), 413


def _no_file():
    return Failure("no_file", _l("Choose a file to upload")), 400


def _upload(field, limit):
    # CSRFProtect has parsed the form already; this still refuses the oversized body early.
    if (request.content_length or 0) > limit + 64 * 1024:  # room for the other form fields
        return None, _too_big(limit)
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None, _no_file()
    return upload, None


def read_upload(field, limit):
    """``(bytes, None)`` or ``(None, (Failure, status))`` for the uploaded file ``field``."""
    upload, error = _upload(field, limit)
    if error is not None:
        return None, error
    data = upload.read(limit + 1)
    if len(data) > limit:
        return None, _too_big(limit)
    return (data, None) if data else (None, _no_file())


def save_upload(field, limit, path):
    """Copy the uploaded file to ``path`` in chunks; ``None`` or ``(Failure, status)``."""
    upload, error = _upload(field, limit)
    if error is not None:
        return error
    size = 0
    with open(path, "wb") as fh:
        while chunk := upload.stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                break
            fh.write(chunk)
    if 0 < size <= limit:
        return None
    os.unlink(path)
    return _too_big(limit) if size else _no_file()


def receive_upload(candidate, kind, user, actor=policy.STAFF):
    """Check and store the uploaded ``file`` for ``candidate``; ``(failures, status)``.

    The one path for staff and candidate (``actor`` policy.CANDIDATE) uploads: a refused
    picture leaves nothing behind.
    """
    data, error = read_upload("file", MAX_UPLOAD_BYTES)
    if error is not None:
        return [error[0]], error[1]
    try:
        _photo, failures = accept_photo(candidate, data, kind, user, actor)
        if not failures:
            db.session.commit()
    except StaleDataError:
        # The record changed since it was read (e.g. signed and locked meanwhile): the
        # picture is not kept; the user reloads and sees whether it may still change.
        db.session.rollback()
        return [_conflict(candidate)], 409
    if failures:
        db.session.rollback()
        return failures, 422
    return failures, 200


def _conflict(candidate):
    return Failure("conflict", _l("%(name)s was changed by someone else at the same moment; "
                                  "reload and check again.", name=candidate.name))


def wants_json():
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


def upload_answer(kind, failures, url, status):
    """The JSON verdict on an upload (or a check-only request) that capture.js shows: the
    failures, and every measured check with its value, required range, pass/fail and fix
    hint (``failures`` an Outcome from the service; a plain list for an upload refused before
    it was read)."""
    result_rows = getattr(failures, "rows", None)
    messages = {f.code: str(f.message) for f in failures}
    return jsonify(ok=not failures, kind=kind, url=url, failures=[
        {"code": f.code, "message": str(f.message), "value": getattr(f, "value", None),
         "required": getattr(f, "required", None),
         "hint": str(f.hint) if getattr(f, "hint", None) else None} for f in failures],
        checks=shown(rows({}, failures) if result_rows is None else result_rows, messages),
        steps=[str(step) for step in getattr(failures, "steps", ())]), status


def check_answer(candidate, kind, actor=policy.STAFF):
    """JSON verdict on the uploaded ``file`` as the upload would get it, storing nothing:
    capture.js posts each camera snapshot here before offering to save it (the upload checks
    again). 200 with ``ok`` false for a picture that would be refused."""
    data, error = read_upload("file", MAX_UPLOAD_BYTES)
    if error is not None:
        return upload_answer(kind, [error[0]], None, error[1])
    return upload_answer(kind, check_upload(candidate, data, kind, actor), None, 200)


class PhotoView(BaseView):
    route_base = "/photos"
    class_permission_name = "PhotoView"
    base_permissions = PERMISSIONS
    # Readers (reviewers, auditors) see the page with the pictures but no controls.
    method_permission_name = {"capture": "view", "upload": "capture", "check": "capture",
                              "file": "view"}
    default_view = "capture"

    def _page(self, candidate, failures=None, status=200):
        pictures = {k: current_photo(candidate.id, k) for k in KINDS}
        return self.render_template(
            "photos/capture.html", candidate=candidate, kinds=KINDS, labels=KIND_LABELS,
            pictures=pictures, failures=failures or {},
            refusal=policy.refusal(candidate, policy.STAFF, PHOTO_CAPTURE, policy.PHOTO),
            writable=self.appbuilder.sm.has_access("can_capture", self.class_permission_name),
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024)), status

    @expose("/candidate/<int:pk>")
    @has_access
    def capture(self, pk):
        return self._page(get_scoped_or_404(Candidate, pk))

    @expose("/candidate/<int:pk>/upload", methods=["POST"])
    @has_access
    def upload(self, pk):
        candidate = get_scoped_or_404(Candidate, pk)
        kind = request.args.get("kind", PHOTO)
        if kind not in KINDS:
            abort(404)
        failures, status = receive_upload(candidate, kind, g.user)
        if wants_json():
            return upload_answer(kind, failures, url_for(".file", candidate_id=pk, kind=kind),
                                 status)
        if not failures:
            flash(_("%(kind)s saved", kind=KIND_LABELS[kind]), "success")
            return redirect(url_for(".capture", pk=pk))
        return self._page(candidate, {kind: failures}, status)

    @expose("/candidate/<int:candidate_id>/check", methods=["POST"])
    @has_access
    def check(self, candidate_id):
        """Check-only: the measured checks of a camera snapshot before it is saved."""
        candidate = get_scoped_or_404(Candidate, candidate_id)
        kind = request.args.get("kind", PHOTO)
        if kind not in KINDS:
            abort(404)
        return check_answer(candidate, kind)

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # The camera markup (templates/photos/_camera.html, imported by the staff page and
        # the candidate's own page) reads the head ovals from the rules: a global, since an
        # imported macro sees no page context.
        blueprint.add_app_template_global(lambda: GUIDE, "photo_guide")
        return blueprint

    @expose("/file/<int:candidate_id>/<kind>")
    @has_access
    def file(self, candidate_id, kind):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        photo = current_photo(candidate.id, kind) if kind in KINDS else None
        if photo is None:
            abort(404)
        original = request.args.get("original") == "1"
        if original and not self.appbuilder.sm.has_access("can_capture", self.class_permission_name):
            abort(404)
        sha = photo.original_sha256 if original else photo.file_sha256
        stored = db.session.get(StoredFile, sha)
        try:
            data = storage.open_bytes(sha)
        except FileNotFoundError:
            abort(404)
        resp = Response(data, mimetype=stored.content_type if stored else "image/jpeg")
        # Same URL for a newer picture: always revalidate, answered cheaply by the ETag.
        resp.headers["Cache-Control"] = "private, no-cache"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if original:
            resp.headers["Content-Disposition"] = f"attachment; filename={candidate.id}-{kind}"
        resp.set_etag(sha)
        return resp.make_conditional(request)
