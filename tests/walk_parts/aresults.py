"""URL walk tables of the 成人高考 scores, admissions and 考生登记表 (app/adult/results*,
register_form.py; issue 18 items 10 and 11): per side a 成人高考 candidate of the county
(named with the side's marker) with a score and an admission; the import rule names what it
imports and the lists take the side's exam."""
import datetime as dt
from decimal import Decimal

ENDPOINT_ARGS = {("AdultResultView.upload", "what"): "=scores",
                 ("AdultResultView.candidate", "candidate_id"): "ar_candidate"}
QUERIES = {"AdultResultView.scores": "exam={exam}", "AdultResultView.admissions": "exam={exam}"}


def objects(ctx):
    from sqlalchemy import select

    from app.adult.result_models import AdultAdmission, AdultScore
    from app.candidates.models import Candidate
    from app.codes import ADULT
    from app.exams.models import Exam
    from app.extensions import db
    from app.validators import make_id_number

    with db.session.no_autoflush:  # the side's objects are not complete yet
        exam = db.session.execute(select(Exam).where(Exam.kind == ADULT)
                                  .order_by(Exam.year.desc())).scalars().first()
    birth = dt.date(1992, 3, 3)
    cand = Candidate(exam=exam, node=ctx.school, name=ctx.mark + "成考", gender="1",
                     birth_date=birth, id_number=make_id_number(ctx.county.code, birth, 979),
                     category="02", state="school_approved", graduation_school=ctx.mark)
    return {
        "ar_candidate": cand,
        "ar_score": AdultScore(candidate=cand, paper_group="02-1", chinese=Decimal(80),
                               mathematics=Decimal(70), foreign_language=Decimal(60),
                               feature=Decimal(0), total=Decimal(210),
                               archive_score=Decimal(210), source=ctx.mark),
        "ar_admission": AdultAdmission(candidate=cand, institution_code="10542",
                                       institution_name=ctx.mark, major_code="040101",
                                       major_name=ctx.mark, level="02", study_form="3",
                                       admitted_on=dt.date(2026, 12, 1)),
    }
