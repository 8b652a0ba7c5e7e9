"""Administrative-division fields of the candidate record (户籍所在地): chosen by name from the
jurisdiction tree (province → city → county) and shown by name, while the record, the import
and the exports keep the 6-digit GB/T 2260 code.

The names are the tree's own (``jurisdiction.place_name``); a division the tree does not hold
(another province) is typed as its code and shown as that code, as on the printed forms."""
import json

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField
from wtforms.widgets import TextInput

from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node, place_name
from ..validators import form_validator, validate_division_code

_REGIONS = (PROVINCE, CITY, COUNTY)


def division_name(code):
    """``code`` by name ("河南省郑州市中原区"), remembered for the rest of the request or job:
    an export names the same few hundred divisions on every one of its rows."""
    if not code:
        return ""
    names = g.setdefault("_ks_division_names", {})
    if code not in names:
        names[code] = place_name(code)
    return names[code]


def division_rows():
    """``[code, name, parent code]`` of the tree's provinces, cities and counties, parents
    first (the picker's data; "" for a province)."""
    rows = db.session.execute(select(Node.code, Node.name, Node.path).where(
        Node.kind.in_(_REGIONS)).order_by(Node.path)).all()
    known = {code for code, _name, _path in rows}
    found = []
    for code, name, path in rows:
        chain = [p for p in path.split("/") if p]
        parent = chain[-2] if len(chain) > 1 and chain[-2] in known else ""
        found.append([code, name, parent])
    return found


class DivisionInput(TextInput):
    """A 6-digit code input that ``static/division_picker.js`` replaces by three selects of
    names (province → city → county) writing the code back into it; without the script it
    stays a text input, checked by the field's validator."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control")
        kwargs.update({
            "maxlength": "6", "inputmode": "numeric", "autocomplete": "off",
            "placeholder": str(_l("6-digit division code, e.g. 410102")),
            "data-division-picker": json.dumps(division_rows(), ensure_ascii=False),
            "data-division-labels": json.dumps({
                "province": str(_l("Choose a province")), "city": str(_l("Choose a city")),
                "county": str(_l("Choose a county or district")),
                "other": str(_l("Another province: type the division code")),
            }, ensure_ascii=False),
        })
        return super().__call__(field, **kwargs)


def division_field(label):
    """The form field of a division column: the code, picked by name, validated as a code."""
    return StringField(label, widget=DivisionInput(),
                       description=_l("Choose the province, city and county; without the "
                                      "picker, type the 6-digit division code."),
                       validators=[form_validator(validate_division_code)])
