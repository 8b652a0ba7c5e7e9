"""Point proposals (报名确认点申报): counties propose on the form, the city and the province
decide in list actions (rows loaded through the scope, a confirmation page carrying each row's
version, a reason for rejections)."""
from flask import g, request
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError as FormError

from ..validators import form_validator
from ..jurisdiction import COUNTY
from ..jurisdiction_views import POINT_FIELDS
from ..phases.rules import PhaseClosed, check_open
from ..base_views import CodedInterface
from ..review.views import TransitionListView
from .models import PointProposal
from .rules import PROPOSAL_STATES, adult_fields_refusal, validate_point_phone
from .workflow import PROPOSAL_ACTIONS, code_refusal, decide_proposal, propose


class PointsTransitionView(TransitionListView):
    """The review screens' list actions, confirmation and result pages and JSON API, with this
    package's confirmation page (its reason goes to the unit below, not to a candidate)."""

    templates = {"review/confirm.html": "points/confirm.html"}

    def render_template(self, template, **kwargs):
        return super().render_template(self.templates.get(template, template), **kwargs)


def _proposing_county():
    node = g.user.node
    return node if node is not None and node.kind == COUNTY else None


# Form validators: the form comes back with the input kept and the message at the field. The
# guard (workflow.propose) checks the same again, authoritatively.
def _check_code(form, field):
    county = _proposing_county()
    if county is None or not field.data:
        return
    pk = str((request.view_args or {}).get("pk", ""))  # editing: the proposal's own code is free
    refusal = code_refusal(field.data, county, int(pk) if pk.isdigit() else None)
    if refusal is not None:
        raise FormError(str(refusal))


def _check_exam(form, field):
    exam = field.data
    if exam is None:
        return
    refusal = adult_fields_refusal(exam.kind, form.serves_levels.data or [],
                                   form.for_minors.data, form.for_medical.data)
    if refusal is not None:
        raise FormError(str(refusal))
    county = _proposing_county()
    if county is not None:
        try:
            check_open("point_setup", exam.id, node=county)
        except PhaseClosed as exc:
            raise FormError(str(exc.args[0])) from None


_ACTIVE_EXAMS = [["active", FilterEqual, True]]


class PointProposalView(PointsTransitionView):
    route_base = "/point-proposals"
    # Withdrawing is a step of the table (audited like the others), not FAB's delete.
    exclude_route_methods = {"download", "delete"}
    datamodel = CodedInterface(PointProposal, coded=("state",))
    transitions = PROPOSAL_ACTIONS
    apply_fn = staticmethod(decide_proposal)
    extra_permissions = ("can_add", "can_edit")
    list_title, show_title = _l("Point proposals"), _l("Point proposal")
    add_title = _l("Propose a registration / confirmation point")
    edit_title = _l("Edit and propose again")
    list_columns = ["node", "name", "code", "exam", "state_label", "reject_reason", "point"]
    show_columns = ["node", "exam", "name", "code", "address", "contact", "phone",
                    "serves_levels_label", "for_minors", "for_medical", "state_label",
                    "reject_reason", "proposed_by", "proposed_at", "city_by", "city_at",
                    "province_by", "province_at", "point"]
    add_columns = edit_columns = ["exam", "name", "code", "address", "contact", "phone",
                                  "serves_levels", "for_minors", "for_medical"]
    search_columns = ["state", "exam", "name", "code"]
    choice_filters = {"state": (_l("State"), PROPOSAL_STATES)}
    base_order = ("id", "desc")
    add_form_query_rel_fields = edit_form_query_rel_fields = {"exam": _ACTIVE_EXAMS}
    add_form_extra_fields = edit_form_extra_fields = POINT_FIELDS
    validators_columns = {"code": [_check_code], "exam": [_check_exam],
                          "phone": [form_validator(validate_point_phone)]}
    description_columns = {
        "code": _l("The code the point will have as a unit: 4 to 20 letters or digits, "
                   "e.g. BM410102A."),
        "phone": _l("A landline with its area code (0371-67891234) or a mobile number."),
    }
    label_columns = {
        "node": _l("Proposing county"), "exam": _l("Exam"), "name": _l("Point name"),
        "code": _l("Point code"), "address": _l("Address"), "contact": _l("Contact person"),
        "phone": _l("Phone"), "serves_levels": _l("Levels served"),
        "serves_levels_label": _l("Levels served"),
        "for_minors": _l("Point for candidates under 17"),
        "for_medical": _l("Point for medical majors"), "state": _l("State"),
        "state_label": _l("State"), "reject_reason": _l("Rejection reason"),
        "proposed_by": _l("Proposed by"), "proposed_at": _l("Proposed at"),
        "city_by": _l("City decision by"), "city_at": _l("City decision at"),
        "province_by": _l("Province decision by"), "province_at": _l("Province decision at"),
        "point": _l("Point set up"),
    }

    def guard(self, item, is_add):
        if is_add:
            item.node = g.user.node  # a county proposes under itself
        super().guard(item, is_add)
        propose(item, g.user)


PointProposalView.install_actions()
