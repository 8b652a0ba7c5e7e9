"""The small picture shown in candidate lists and details."""
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .models import PHOTO
from .service import current_photo


def thumbnail(candidate, width=45):
    """An ``<img>`` of the current photo linking to the capture page, or an em dash."""
    if candidate.id is None:
        return Markup("—")
    link = url_for("PhotoView.capture", pk=candidate.id)
    if current_photo(candidate.id, PHOTO) is None:
        # Still a link: from the list is how staff reach the capture page.
        return Markup('<a href="{}" title="{}">—</a>').format(link, _("Photos"))
    return Markup('<a href="{}"><img src="{}" width="{}" alt="{}" loading="lazy"></a>').format(
        link, url_for("PhotoView.file", candidate_id=candidate.id, kind=PHOTO), width, _("Photo"))
