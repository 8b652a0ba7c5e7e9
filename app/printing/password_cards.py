"""考生动态口令卡 (the 高考 志愿 password card) on paper, and the job that generates a print run.

A card is one page: its serial and the grid of codes, each in a grey scratch-off area. The
plain codes exist only while a run is generated (they are hashed into the database, see
``gaokao.preference_rules``) and in the run's PDF, which the province downloads, prints and
then deletes (the page's "delete the file" button; a reissued card's PDF is answered at once
and never stored).

Measured on the 2-core machine: hashing is ~0.1 s per 1,000 cards; rendering ~75 ms a page, so
a run of 1,000 cards takes about a minute and a half, hence a background job writing
:data:`CHUNK` cards (and their page range) per transaction.
"""
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, select

from .. import filestore
from ..audit import log_event
from ..extensions import db
from ..gaokao import preference_rules as rules
from ..gaokao.preference_models import CardRun, PasswordCard, PasswordCardCode
from ..security import KsUser
from .pdf import merge_pdfs, render_pdf
from .render import forms_env

#: cards rendered and committed together
CHUNK = 50
RUN_TIMEOUT = 2 * 3600
#: the file-store folder of generated runs
CARDS = "cards"


def cards_html(exam_name, cards):

    app = current_app._get_current_object()
    with force_locale("zh"):
        ctx = {"cards": [{"serial": serial, "codes": codes} for serial, codes in cards],
               "exam_name": exam_name, "rows": rules.ROWS,
               "columns": list(range(1, rules.COLUMNS + 1)),
               "max_failures": rules.MAX_FAILURES}
        app.update_template_context(ctx)
        return forms_env().get_template("forms/password_card.html").render(ctx)


def cards_pdf(exam_name, cards):
    """The PDF of ``[(serial, {position: code})]``, one card a page."""
    return render_pdf(cards_html(exam_name, cards))


def generate_run(run_id):
    """Generate the run's cards and their PDF. Safe to run twice: a rerun removes the cards
    of an unfinished earlier attempt (never distributed: their PDF was not finished)."""
    run = db.session.get(CardRun, run_id)
    if run is None:
        return {"run_id": run_id, "status": "missing"}
    try:
        return _generate(run)
    except Exception as exc:
        db.session.rollback()
        db.session.get(CardRun, run_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise


def _generate(run):
    old = select(PasswordCard.id).where(PasswordCard.run_id == run.id)
    db.session.execute(delete(PasswordCardCode).where(PasswordCardCode.card_id.in_(old)))
    db.session.execute(delete(PasswordCard).where(PasswordCard.run_id == run.id))
    run.start()
    run.advance(0, run.count)
    db.session.commit()
    key = f"{CARDS}/run-{run.id}.pdf"
    exam_name = run.exam.name
    with filestore.staged(key) as stage, open(stage.path, "wb") as out:
        merge_pdfs(_chunks(run, exam_name), out)
    run.result_path = stage.ref
    run.finish()
    db.session.commit()
    log_event("insert", "ks_gk_card_run", {"run_id": run.id, "cards": run.count,
                                             "unit": run.node_path},
              row_id=run.id, actor=db.session.get(KsUser, run.user_id))
    return run.status_json()


def _chunks(run, exam_name):
    for first in range(1, run.count + 1, CHUNK):
        n = min(CHUNK, run.count - first + 1)
        cards = rules.make_cards(run, first, n, run.node_path)
        pdf = cards_pdf(exam_name, cards)
        run.advance(first + n - 1, run.count)
        db.session.commit()
        yield pdf
