"""URL walk of the 成人高考 basic information (/me/adult/info, GET and POST; issue 18 item 1):
the routes take no argument and answer the session's candidate only (anonymous visitors and
staff land on the candidates' login). Per side a 成人高考 candidate of the side's school whose
basic information carries the side's marker, so a staff screen of the other county showing
it (the candidate page now shows 外语语种 and 毕业学校 for 成人高考 records) is caught."""
import datetime as dt


def objects(ctx):
    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.codes import ADULT
    from app.exams.models import Exam
    from app.extensions import db
    from app.validators import make_id_number

    with db.session.no_autoflush:  # the side's objects are not complete yet
        exam = db.session.execute(select(Exam).where(Exam.kind == ADULT)
                                  .order_by(Exam.year.desc())).scalars().first()
    birth = dt.date(1991, 5, 5)
    return {"ai_candidate": Candidate(
        exam=exam, node=ctx.school, name=ctx.mark + "基本信息", gender="2", birth_date=birth,
        id_number=make_id_number(ctx.county.code, birth, 973), category="01",
        foreign_language="1", graduation_school=ctx.mark + "中学", candidate_feature="01",
        enrolment_type="01", education_level="60", diploma_number=ctx.mark,
        address=ctx.mark + "路1号", postcode="450000")}
