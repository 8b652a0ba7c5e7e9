"""URL walk tables of 高考 志愿 and the password cards (gpref): per side a card run and a card
of the county (the card bound to a 高考 candidate of the side's school, named with the side's
marker), and a preference batch (province-wide: its pages are filled with a fixed id)."""
import datetime as dt

MODEL_KINDS = {"PreferenceBatch": "gk_batch_unused"}
_RUN = ("run", "run_status", "run_pdf", "run_discard")
_CARD = ("card", "unlock", "reissue")
ENDPOINT_ARGS = {
    **{(f"PasswordCardView.{e}", "pk"): "gk_card_run" for e in _RUN},
    **{(f"PasswordCardView.{e}", "pk"): "gk_card" for e in _CARD},
    # Batches are the province's, read by every county: a fixed id (no county's object).
    **{(f"PreferenceBatchView.{e}", "pk"): "=1" for e in ("show", "edit", "action")},
    ("GaokaoPreferenceView.missing_csv", "batch_id"): "=1",
    ("GaokaoPreferenceView.candidate", "candidate_id"): "gk_candidate",
    **{(f"selfservice.{e}", "batch_id"): "=1" for e in (
        "gaokao_batch", "gaokao_batch_save", "gaokao_batch_confirm", "gaokao_batch_discard")},
}
_CODES = {"zy": "Y", "eq": "Q"}


def objects(ctx):
    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.codes import GAOKAO
    from app.exams.models import Exam
    from app.extensions import db
    from app.gaokao.preference_models import CardRun, PasswordCard, PreferenceBatch
    from app.validators import make_id_number

    exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO)
                              .order_by(Exam.id)).scalars().first()
    birth = dt.date(2008, 2, 2)
    cand = Candidate(exam=exam, node=ctx.school, name=ctx.mark + "志愿", gender="1",
                     birth_date=birth, id_number=make_id_number(ctx.county.code, birth, 977))
    run = CardRun(exam_id=exam.id, count=1, user_id=ctx.user.id, node_path=ctx.county.path,
                  status="done", message=ctx.mark)
    card = PasswordCard(exam_id=exam.id, serial=f"9{ctx.county.code}00001",
                        node_path=ctx.county.path, candidate=cand, status="bound",
                        cancel_reason=ctx.mark)
    batch = PreferenceBatch(exam_id=exam.id, code=_CODES[ctx.side], name="走查批次",
                            schools=1, majors=1)
    return {"gk_candidate": cand, "gk_card_run": run, "gk_card": card, "gk_batch": batch}
