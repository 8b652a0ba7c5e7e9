"""报考须知 / announcements: administrators write them for their own region (ScopedModelView: a
county's notices are its own; the region field offers units of one's subtree only)."""
import datetime as dt

from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from ..base_views import ScopedModelView
from ..jurisdiction import in_scope
from ..refusals import BadInput, NotAllowed
from .notices import BODY_MAX, Notice

LABELS = {"exam": _l("Exam"), "node": _l("Region"), "title": _l("Title"),
          "body": _l("Text"), "published": _l("Published"),
          "published_on": _l("Published at"), "created_by": _l("Written by"),
          "changed_on": _l("Changed at")}


class NoticeView(ScopedModelView):
    route_base = "/notices"
    datamodel = SQLAInterface(Notice)
    list_title, show_title = _l("Notices to candidates"), _l("Notice")
    add_title, edit_title = _l("Write a notice"), _l("Edit notice")
    list_columns = ["title", "exam", "node", "published", "published_on", "changed_on"]
    show_columns = ["title", "exam", "node", "published", "published_on", "created_by", "body"]
    add_columns = edit_columns = ["exam", "node", "title", "body", "published"]
    search_columns = ["title", "exam", "published"]
    base_order = ("changed_on", "desc")
    label_columns = LABELS
    # FAB would make the non-nullable flag a required box: unticked is a draft.
    add_form_extra_fields = edit_form_extra_fields = {
        "published": BooleanField(LABELS["published"], default=False)}
    description_columns = {
        "node": _l("The notice is shown to the candidates of this region and its units."),
        "body": _l("Plain text; blank lines separate paragraphs."),
    }

    def guard(self, item, is_add):
        if item.node is None or not in_scope(item.node, g.user.node):
            raise NotAllowed(_l("That unit is outside your jurisdiction."))
        item.title = (item.title or "").strip()
        if not item.title or not (item.body or "").strip():
            raise BadInput(_l("A notice needs a title and a text."))
        if len(item.body) > BODY_MAX:
            raise BadInput(_l("The text is longer than %(n)d characters.", n=BODY_MAX))
        if is_add:
            item.created_by = g.user.username
        if item.published and item.published_on is None:
            item.published_on = dt.datetime.now()
        if not item.published:
            item.published_on = None
