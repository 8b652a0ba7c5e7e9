"""Uploaded scans and copies (a signed form, a document copy): PDF or JPEG by their content,
bounded in size, refused with a translated message. One rule for every screen that takes one.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l

from .refusals import BadInput

#: accepted scans: what the file starts with → (mimetype, extension).
SCAN_TYPES = {b"%PDF-": ("application/pdf", "pdf"), b"\xff\xd8\xff": ("image/jpeg", "jpg")}


def scan_limit():
    return int(current_app.config["SCAN_MAX_BYTES"])  # default in config.py


def read_scan(upload, required=True, missing=None):
    """``(bytes, mimetype, extension, filename)`` of an uploaded scan (a werkzeug FileStorage),
    or None when none was sent and ``required`` is false (``missing``: the message when it is).
    Refuses (BadInput, translated) anything that is not a PDF or JPEG by its content, and
    anything over the size limit: it is read only up to one byte past the limit."""
    if upload is None or not getattr(upload, "filename", ""):
        if required:
            raise BadInput(missing or _l("Upload the scan (PDF or JPEG)."))
        return None
    limit = scan_limit()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise BadInput(_l("The scan is larger than %(mb)s MB: scan at a lower resolution or "
                          "in grey.", mb=round(limit / 1024 / 1024, 1)))
    if not data:
        raise BadInput(_l("The scan is empty."))
    for magic, (mimetype, ext) in SCAN_TYPES.items():
        if data.startswith(magic):
            return data, mimetype, ext, upload.filename[-200:]
    raise BadInput(_l("The scan must be a PDF or JPEG file; “%(name)s” is neither.",
                      name=upload.filename[-80:]))
