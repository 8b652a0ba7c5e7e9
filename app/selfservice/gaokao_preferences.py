"""高考 志愿 on the self-service (seed 002 §三.5): bind the dynamic password card (口令卡), fill
each batch in its window, and confirm every save with the code at the position the server
asks; a save takes effect only then. Only for 高考 candidates (404 otherwise).

The registration's review state and lock do not apply (``policy.check_change`` would refuse a
signed record): 志愿 are filled months after the 报名登记表 was signed, as the physical results
are entered then; the guards are the candidate's session, the batch's window
(``gaokao.preference_rules.window_refusal``) and the card.
"""
from functools import wraps

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from ..codes import GAOKAO
from ..extensions import db
from ..gaokao import preference_rules as rules
from ..gaokao.preference_models import PreferenceBatch
from ..phases.rules import windows
from ..printing.pdf import UnprintableText
from ..printing.render import render_form_with_code
from ..refusals import Refused
from .views import _event, _page, bp

#: the session key of the position asked for binding (kept until the card is bound, so a
#: reload or a wrong code does not move it)
BIND_POSITION = "ss_gk_bind_position"


def gaokao_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.candidate.exam is None or g.candidate.exam.kind != GAOKAO:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def _link():
    """``gaokao_preference_link(cand)`` for the status page: the URL for a 高考 candidate."""
    def link(cand):
        if cand is None or cand.exam is None or cand.exam.kind != GAOKAO:
            return None
        return url_for("selfservice.gaokao_preferences")
    return {"gaokao_preference_link": link}


def _bind_position():
    position = session.get(BIND_POSITION)
    if position not in rules.POSITIONS:
        position = session[BIND_POSITION] = rules.choose_position()
    return position


def _batch_or_404(batch_id):
    batch = db.session.get(PreferenceBatch, batch_id)
    if batch is None or batch.exam_id != g.candidate.exam_id:
        abort(404)
    return batch


def _window(batch, cand):
    """(text of the window with the unit's extension, refusal or None)."""
    found = windows(batch.exam_id, rules.ACTIVITY, batch.code, cand.node)
    text = "；".join(f"{p.start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}" for p, end in found)
    return text, rules.window_refusal(batch, cand)


def _overview(status=200, bind_error=None):
    cand = g.candidate
    card = rules.active_card(cand)
    reserved = rules.reserved_card(cand) if card is None else None
    batches = []
    for batch in rules.batches_of(cand.exam_id):
        text, refusal = _window(batch, cand)
        batches.append({"batch": batch, "window": text, "closed": refusal is not None,
                        "count": len(rules.effective_rows(cand.id, batch.id)),
                        "pending": rules.pending_of(cand.id, batch.id) is not None})
    return _page("gaokao_prefs.html", status, cand=cand, card=card, reserved=reserved,
                 batches=batches, position=_bind_position() if card is None else None,
                 bind_error=bind_error, form=request.form)


@bp.route("/gaokao/preferences")
@gaokao_only
def gaokao_preferences():
    return _overview()


@bp.route("/gaokao/card", methods=["POST"])
@gaokao_only
def gaokao_card_bind():
    cand = g.candidate
    try:
        card = rules.bind(cand, request.form.get("serial"), _bind_position(),
                          request.form.get("code"))
    except Refused as exc:
        db.session.commit()  # the failure count stays
        return _overview(exc.status, str(exc))
    db.session.commit()
    session.pop(BIND_POSITION, None)
    flash(_("Card %(serial)s is bound to you.", serial=card.serial), "success")
    return redirect(url_for(".gaokao_preferences"))


def _batch_page(batch, status=200, errors=None, values=None, code_error=None):
    cand = g.candidate
    text, refusal = _window(batch, cand)
    pending = rules.pending_of(cand.id, batch.id)
    effective = [rules.as_row(p) for p in rules.effective_rows(cand.id, batch.id)]
    shown = values if values is not None else _as_form(pending.rows if pending else effective)
    return _page("gaokao_batch.html", status, cand=cand, batch=batch, window=text,
                 refusal=refusal, pending=pending, effective=effective, values=shown,
                 errors=errors or {}, code_error=code_error, card=rules.active_card(cand),
                 seqs=range(1, batch.schools + 1), major_seqs=range(1, batch.majors + 1))


def _as_form(rows):
    """Rows as the form's field values."""
    values = {}
    for row in rows:
        seq = row["seq"]
        values[f"school_code_{seq}"], values[f"school_name_{seq}"] = (row["school_code"],
                                                                       row["school_name"])
        values[f"adjust_{seq}"] = "1" if row["adjust"] else ""
        for m, (code, name) in enumerate(row["majors"], 1):
            values[f"major_code_{seq}_{m}"], values[f"major_name_{seq}_{m}"] = code, name
    return values


@bp.route("/gaokao/preferences/<int:batch_id>")
@gaokao_only
def gaokao_batch(batch_id):
    return _batch_page(_batch_or_404(batch_id))


@bp.route("/gaokao/preferences/<int:batch_id>", methods=["POST"])
@gaokao_only
def gaokao_batch_save(batch_id):
    batch = _batch_or_404(batch_id)
    rows, errors = rules.clean_rows(batch, request.form)
    if errors:
        return _batch_page(batch, 400, errors, request.form)
    try:
        pending = rules.save_pending(g.candidate, batch, rows)
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _batch_page(batch, exc.status, values=request.form)
    db.session.commit()
    flash(_("Saved, but not yet in effect: scratch position %(pos)s of your card and type "
            "its code below.", pos=pending.position), "info")
    return redirect(url_for(".gaokao_batch", batch_id=batch.id) + "#confirm")


@bp.route("/gaokao/preferences/<int:batch_id>/confirm", methods=["POST"])
@gaokao_only
def gaokao_batch_confirm(batch_id):
    batch = _batch_or_404(batch_id)
    try:
        count = rules.confirm_pending(g.candidate, batch, request.form.get("code"))
    except Refused as exc:
        db.session.commit()  # wrong codes are counted even though the change is refused
        return _batch_page(batch, exc.status, code_error=str(exc))
    db.session.commit()
    flash(_("Your preferences of %(batch)s are in effect (%(n)d institutions).",
            batch=batch.name, n=count), "success")
    return redirect(url_for(".gaokao_batch", batch_id=batch.id))


@bp.route("/gaokao/preferences/<int:batch_id>/discard", methods=["POST"])
@gaokao_only
def gaokao_batch_discard(batch_id):
    batch = _batch_or_404(batch_id)
    pending = rules.pending_of(g.candidate.id, batch.id)
    if pending is not None:
        db.session.delete(pending)
        db.session.commit()
        flash(_("The unconfirmed change is discarded; your preferences in effect stay."),
              "info")
    return redirect(url_for(".gaokao_batch", batch_id=batch.id))


@bp.route("/gaokao/preferences.pdf")
@gaokao_only
def gaokao_preferences_pdf():
    cand = g.candidate
    try:
        pdf, code = render_form_with_code("gaokao_preferences", cand)
    except UnprintableText as exc:
        flash(str(exc), "error")
        return redirect(url_for(".gaokao_preferences"))
    _event("print", {"kind": "gaokao_preferences", "code": code})
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="gaokao-preferences.pdf"'})

