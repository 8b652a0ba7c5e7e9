"""高考 优惠 and 专项 pages of the self-service (seed 002 §三.3–4): the candidate downloads and
prints the 民审表 and the 资格审核表 and follows its claims (state, points, reason of a
rejection). The claims themselves are recorded by the county / city (gaokao/bonus_views.py):
nothing here writes one. Only for 高考 candidates (404 otherwise)."""
from functools import wraps

from flask import Response, abort, flash, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from ..codes import GAOKAO
from ..extensions import db
from ..gaokao import bonus_rules
from ..gaokao.bonus_codes import MINORITY, POLICY, SPECIAL
from .views import _event, _page, bp

#: the forms a candidate prints here: kind of printing.render.FORMS → the refusal check.
PRINTED = {"minority": bonus_rules.minority_form_refusal, "special_plan": None}


def gaokao_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.candidate.exam is None or g.candidate.exam.kind != GAOKAO:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def _links():
    """``gaokao_bonus_links(cand)`` for the status page: [(url, label)] for a 高考 candidate,
    empty for the others."""
    def links(cand):
        if cand is None or cand.exam is None or cand.exam.kind != GAOKAO:
            return []
        return [(url_for("selfservice.gaokao_bonus"), _l("Bonus points and special plans")),
                (url_for("selfservice.gaokao_form", kind="minority"),
                 _l("Print the 民审表 (ethnic minority policy)")),
                (url_for("selfservice.gaokao_form", kind="special_plan"),
                 _l("Print the 资格审核表 (special plans)"))]
    return {"gaokao_bonus_links": links}


@bp.route("/gaokao/bonus")
@gaokao_only
def gaokao_bonus():
    cand = g.candidate
    return _page("gaokao_bonus.html", cand=cand,
                 minority_refusal=bonus_rules.minority_form_refusal(cand),
                 bonus=bonus_rules.claims_of(cand.id, (MINORITY, POLICY)),
                 special=bonus_rules.claims_of(cand.id, (SPECIAL,)))


@bp.route("/gaokao/forms/<kind>.pdf")
@gaokao_only
def gaokao_form(kind):
    from ..printing.pdf import UnprintableText
    from ..printing.render import render_form_with_code

    if kind not in PRINTED:
        abort(404)
    cand = g.candidate
    refusal = PRINTED[kind](cand) if PRINTED[kind] else None
    if refusal is not None:
        flash(str(refusal), "error")
        return redirect(url_for(".gaokao_bonus"))
    try:
        pdf, code = render_form_with_code(kind, cand)
    except UnprintableText as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".gaokao_bonus"))
    _event("print", {"kind": kind, "candidate_id": cand.id, "code": code, "self_service": True})
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{kind}-{cand.id}.pdf"',
        "Cache-Control": "no-store"})
