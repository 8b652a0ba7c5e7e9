"""The small picture shown in candidate lists and details."""
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from sqlalchemy import select

from ..extensions import db
from .models import PHOTO, CandidatePhoto
from .service import current_photo


def remember_photos(candidates):
    """Which of a list page's candidates have a current photo, in one query; ``thumbnail``
    reads the answer from each row instead of asking per row (FAB reads a list column's
    value three times per row)."""
    ids = [c.id for c in candidates if c.id is not None]
    with_photo = set(db.session.execute(select(CandidatePhoto.candidate_id).where(
        CandidatePhoto.candidate_id.in_(ids), CandidatePhoto.kind == PHOTO,
        CandidatePhoto.current.is_(True))).scalars()) if ids else set()
    for candidate in candidates:
        candidate.ks_has_photo = candidate.id in with_photo


def _has_photo(candidate):
    known = getattr(candidate, "ks_has_photo", None)
    if known is None:
        return current_photo(candidate.id, PHOTO) is not None
    return known


def thumbnail(candidate, width=45):
    """An ``<img>`` of the current photo linking to the capture page, or an em dash."""
    if candidate.id is None:
        return Markup("—")
    link = url_for("PhotoView.capture", pk=candidate.id)
    if not _has_photo(candidate):
        # Still a link: from the list is how staff reach the capture page.
        return Markup('<a href="{}" title="{}">—</a>').format(link, _("Photos"))
    return Markup('<a href="{}"><img src="{}" width="{}" alt="{}" loading="lazy"></a>').format(
        link, url_for("PhotoView.file", candidate_id=candidate.id, kind=PHOTO), width, _("Photo"))
