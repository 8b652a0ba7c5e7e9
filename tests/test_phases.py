"""The seeded calendars (seed 001 and 004) and the PHASES_REQUIRED setting."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.candidates.models import Candidate
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.phases.rules import is_open, now_local
from factories import unused_id_number
from helpers import edit_form, exam_id, text

COLLECTION = ("staff_entry", "self_registration", "photo_capture")


def at(month, day, hour=10, minute=0):
    return dt.datetime(2022, month, day, hour, minute)


# Seed 001: 9th grade where the school record is (01, and 03 随迁子女) 3/1 9:00–3/25 17:00;
# return-to-hukou (02) 3/26 9:00–3/31 17:00 at designated points; grade 8 (04) 4/1 9:00–4/20
# 17:00; 社会考生 (05) the whole collection period.
HENAN_2022 = {
    "01": [(at(3, 1, 9), True), (at(3, 25, 17), True), (at(3, 25, 17, 1), False),
           (at(3, 28), False), (at(2, 28), False)],
    "03": [(at(3, 10), True), (at(3, 28), False), (at(4, 5), False)],
    "02": [(at(3, 26, 9), True), (at(3, 31, 17), True), (at(3, 25), False), (at(4, 1), False)],
    "04": [(at(4, 1, 9), True), (at(4, 20, 17), True), (at(3, 10), False), (at(4, 20, 17, 1), False)],
    "05": [(at(3, 1, 9), True), (at(3, 28), True), (at(4, 20, 17), True), (at(4, 21), False)],
}


@pytest.mark.parametrize("category", sorted(HENAN_2022))
def test_henan_2022_every_category_has_its_collection_windows(app, category):
    exam = exam_id(app, ZHONGZHAO, 2022)
    with app.app_context():
        for activity in COLLECTION:
            for moment, expected in HENAN_2022[category]:
                assert is_open(activity, exam, category, now=moment) is expected, (activity, moment)


def test_the_2026_adult_exam_is_open_for_registration_now(app):
    exam = exam_id(app, ADULT, 2026)
    with app.app_context():
        now = now_local()
        for activity in ("self_registration", "payment"):
            assert is_open(activity, exam, now=now), activity
        # on-site confirmation keeps its office hours on the first and last day only
        assert is_open("confirmation", exam, now=now.replace(hour=10))
        for activity in ("point_setup", "unpaid_check", "exemption_review", "ticket_print"):
            assert not is_open(activity, exam, now=now), activity
        ticket_print = db.session.execute(select(Phase).where(
            Phase.exam_id == exam, Phase.activity == "ticket_print")).scalar_one()
        exam_day = db.session.get(Exam, exam).exam_date
        assert ticket_print.start.date() < exam_day <= ticket_print.end.date()
        for kind in (ZHONGZHAO, GAOKAO):
            assert db.session.execute(select(Exam.exam_date).where(
                Exam.kind == kind, Exam.year == 2026)).scalar_one() is not None
        hunan = db.session.get(Exam, exam_id(app, ADULT, 2019))
        assert hunan.exam_date == dt.date(2019, 10, 26)


def test_seeding_again_changes_nothing(app):
    from app.demo import seed_phases

    with app.app_context():
        count = db.session.execute(select(func.count(Phase.id))).scalar()
        assert seed_phases() == 0
        assert seed_phases(today=dt.date.today() + dt.timedelta(days=40)) == 0
        db.session.commit()
        assert db.session.execute(select(func.count(Phase.id))).scalar() == count


def test_timeline_lists_the_seeded_calendar(app, login):
    page = text(login("zy_admin").get(f"/phases/timeline/{exam_id(app, ZHONGZHAO, 2022)}"))
    for name in ("九年级学籍所在地报考学生信息采集", "回户籍地报考学生（户籍地指定报名点）照片和证件采集",
                 "八年级学生考生完善并确认信息", "社会考生（报名地指定报名点）信息采集"):
        assert name in page
    page = text(login("zy_admin").get(f"/phases/timeline/{exam_id(app, ADULT, 2026)}"))
    assert "考生网上报名" in page and "ks-open" in page and "首场考试日期" in page


def test_phases_required_closes_activities_without_a_window(app, login, monkeypatch):
    """The 2026 高考 has no windows: open by default, closed when PHASES_REQUIRED is set."""
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        birth = dt.date(2008, 6, 1)
        cand = Candidate(exam=exam, node=node, name="审核考生", gender="1", birth_date=birth,
                         id_number=unused_id_number("410102", birth), category="01")
        db.session.add(cand)
        db.session.commit()
        cid, exam_pk = cand.id, exam.id
    staff = login("zy_school")

    def save(phone):
        staff.refresh_token(f"/candidateview/edit/{cid}")
        return text(staff.post(f"/candidateview/edit/{cid}",
                               edit_form(app, cid, exam=str(exam_pk), birth_date="2008-06-01",
                                         phone=phone), follow_redirects=True))

    save("13955556666")
    with app.app_context():
        assert db.session.get(Candidate, cid).phone == "13955556666"
    monkeypatch.setitem(app.config, "PHASES_REQUIRED", True)
    page = save("13955557777")
    assert "未配置" in page
    with app.app_context():
        assert db.session.get(Candidate, cid).phone == "13955556666"
    assert "尚未设置时间" in text(login("zy_admin").get(f"/phases/timeline/{exam_pk}"))


def test_phase_screens_name_the_categories(login):
    admin = login("henan_admin")
    listing = text(admin.get("/phaseview/list/?psize_PhaseView=100"))
    # Henan 2022 windows per category, and the 成人高考 calendar for every category.
    assert "回户籍地报考" in listing and "全部类别" in listing
    form = text(admin.get("/phaseview/add"))
    assert "01 (中招: 学籍户籍一致; 高考: 普通高中应届; 成人高考: 高起本)" in form
