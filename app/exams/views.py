from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, NumberRange

from ..base_views import GuardedMixin
from ..codes import EXAM_KIND_LABELS
from .models import Exam

_KIND_FIELD = SelectField(_l("Exam kind"), choices=list(EXAM_KIND_LABELS.items()),
                          validators=[DataRequired()])


class ExamView(GuardedMixin, ModelView):
    """Exams are province-wide configuration: everyone reads, the province admin writes."""

    datamodel = SQLAInterface(Exam)
    list_title, show_title = _l("Exams"), _l("Exam")
    add_title, edit_title = _l("Add exam"), _l("Edit exam")
    list_columns = ["year", "kind_label", "name", "active"]
    add_columns = edit_columns = ["kind", "year", "name", "active"]
    show_columns = ["year", "kind_label", "name", "active"]
    search_columns = ["year", "kind", "name", "active"]
    order_columns = ["year", "name"]
    base_order = ("year", "desc")
    label_columns = {"kind": _l("Exam kind"), "kind_label": _l("Exam kind"), "year": _l("Year"),
                     "name": _l("Name"), "active": _l("Active")}
    # FAB makes non-nullable booleans "required", i.e. impossible to untick.
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": _KIND_FIELD, "active": BooleanField(_l("Active"), default=True)}
    validators_columns = {"year": [NumberRange(min=2000, max=2100)]}
