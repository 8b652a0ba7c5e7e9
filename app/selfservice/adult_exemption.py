"""成人高考 免试入学 on the self-service (issue 18.6, aexempt): the candidate applies with the
exemption type, a note and a supporting scan, replaces or withdraws the application until the
city has reviewed it, and follows the city's and the province's decisions. Rules:
adult/exemption.py. Only for 成人高考 candidates (404 otherwise)."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import filestore, transitions
from ..adult import exemption as rules
from ..adult.exemption_models import AdultExemption
from ..extensions import db
from ..refusals import Refused
from ..scans import read_scan, scan_limit
from .adult import adult_only
from .views import _page, bp


@bp.app_context_processor
def _exemption_state():
    """``adult_exemption_state(cand)`` for the status page: the label of the candidate's
    application state."""
    def state(cand):
        found = db.session.execute(select(AdultExemption.state).where(
            AdultExemption.candidate_id == cand.id)).scalar_one_or_none()
        return rules.EXEMPTION_STATES.get(found)
    return {"adult_exemption_state": state}


def _form(row, status=200, error=None, values=None):
    table = {a: rules.EXEMPTION_TRANSITIONS[a] for a in (rules.APPLY, rules.WITHDRAW)}
    possible = dict((t.action, refusal) for t, refusal in transitions.possible(
        table, None, lambda t: transitions.check(
            row, t, None, rules.EXEMPTION_STATES,
            context={"kind": next(iter(rules.EXEMPTION_KINDS)), "note": "-", "scan": True})))
    return _page("adult_exemption.html", status, cand=g.candidate, row=row, error=error,
                 values=values if values is not None else {"kind": row.kind or "",
                                                           "note": row.note or ""},
                 kinds=rules.EXEMPTION_KINDS, other=rules.OTHER,
                 state_label=rules.EXEMPTION_STATES.get(row.state),
                 kind_label=rules.exemption_kind_label(row.kind),
                 apply_refusal=possible.get(rules.APPLY),
                 withdraw_refusal=possible.get(rules.WITHDRAW),
                 limit_mb=round(scan_limit() / 1024 / 1024, 1))


@bp.route("/adult/exemption", methods=["GET", "POST"])
@adult_only
def adult_exemption():
    row = rules.exemption_of(g.candidate)
    if request.method == "GET":
        return _form(row)
    values = {"kind": request.form.get("kind", ""), "note": request.form.get("note", "")}
    try:
        scan = read_scan(request.files.get("scan"),
                         missing=_("Upload the supporting document (PDF or JPEG)."))
        move = transitions.check(row, rules.EXEMPTION_TRANSITIONS[rules.APPLY], None,
                                 rules.EXEMPTION_STATES,
                                 expected_version=request.form.get("version") or None,
                                 context={**values, "scan": scan})
        transitions.apply(move)
        db.session.add(row)
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        return _form(rules.exemption_of(g.candidate), exc.status, str(exc), values)
    if move.context.get("replaced"):
        filestore.delete(move.context["replaced"])
    flash(_("Your application was sent to the city for review."), "success")
    return redirect(url_for(".adult_exemption"))


@bp.route("/adult/exemption/withdraw", methods=["POST"])
@adult_only
def adult_exemption_withdraw():
    row = rules.exemption_of(g.candidate)
    move = transitions.check(row, rules.EXEMPTION_TRANSITIONS[rules.WITHDRAW], None,
                             rules.EXEMPTION_STATES,
                             expected_version=request.form.get("version") or None)
    transitions.apply(move)
    db.session.commit()
    flash(_("Your application was withdrawn."), "success")
    return redirect(url_for(".adult_exemption"))
