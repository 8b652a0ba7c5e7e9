"""The states and kinds of qualification applications (资格审核: 分配生, 少数民族照顾, 农村专项…),
named once for the model's labels, the workflow's table and the screens."""
from flask_babel import lazy_gettext as _l

from ..candidates.states import CITY_OK, COUNTY_OK, PROVINCE_OK, REJECTED, SCHOOL_OK

PENDING = "pending"
QUALIFICATION_KINDS = {
    "allocation": _l("Allocated place (分配生)"),
    "ethnic_bonus": _l("Ethnic minority bonus points (少数民族照顾)"),
    "rural_special": _l("Rural special enrolment (农村专项)"),
}
QUALIFICATION_STATES = {
    PENDING: _l("Pending"), SCHOOL_OK: _l("Approved by school / point"),
    COUNTY_OK: _l("Approved by county"), CITY_OK: _l("Approved by city"),
    PROVINCE_OK: _l("Approved by province"), REJECTED: _l("Rejected"),
}
