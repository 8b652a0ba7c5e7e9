"""Phase conditions (issue 18.3, seed 004): windows restricted to regions, 户籍-local days, daily
hours, extensions keeping the conditions, and every writer refused (staff edit, self-service
edit, registry import); the phase screen's fields and the calendar."""
import datetime as dt

import pytest
from sqlalchemy import delete, select

from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseExtension, PhaseRegion
from app.phases.rules import PhaseClosed, check_open, now_local, parse_hours
from app.selfservice.views import _WINDOWS
from conftest import Client
from factories import make_candidate, make_exam, self_service_candidate
from helpers import activate, csv_bytes, edit_form, exam_id, idn, issue, run_import, text

FIVE = ("430100", "430200", "430400", "430600", "431200")  # 长沙 株洲 衡阳 岳阳 怀化


def at(month, day, hour=10, minute=0):
    return dt.datetime(2019, month, day, hour, minute)


def _node(code):
    return db.session.execute(select(Node).where(Node.code == code)).scalar_one()


@pytest.fixture
def hunan(app):
    """A 2019-style exam with seed 004's registration calendar on a small Hunan tree: the five
    cities (one county and one point in 长沙) and 湘潭 (430300) outside them."""
    with app.app_context():
        if db.session.execute(select(Node).where(Node.code == "430000")).first() is None:
            province = Node(code="430000", name="湖南省", kind="province", path="/430000/")
            db.session.add(province)
            names = {"430100": "长沙市", "430200": "株洲市", "430300": "湘潭市",
                     "430400": "衡阳市", "430600": "岳阳市", "431200": "怀化市"}
            cities = {}
            for code, name in names.items():
                cities[code] = Node(code=code, name=name, kind="city", parent=province,
                                    path=f"/430000/{code}/")
            for code, city in cities.items():
                county_code = code[:4] + "02"
                county = Node(code=county_code, name=city.name + "城区", kind="county",
                              parent=city, path=f"{city.path}{county_code}/")
                db.session.add(Node(code=f"BM{county_code}", name=city.name + "确认点",
                                    kind="point", parent=county,
                                    path=f"{county.path}BM{county_code}/"))
            db.session.commit()
    eid = make_exam(app, ZHONGZHAO)
    with app.app_context():
        general = Phase(exam_id=eid, activity="confirmation", name="报名及确认",
                        start=at(9, 2, 8), end=at(9, 11, 18), hours="08:00-12:00,15:00-18:00")
        local = Phase(exam_id=eid, activity="confirmation", name="五市户籍考生报名及确认",
                      start=at(9, 2, 8), end=at(9, 5, 18), hukou_local="city",
                      hours="08:00-12:00,15:00-18:00")
        everyone = Phase(exam_id=eid, activity="confirmation", name="五市所有考生报名及确认",
                         start=at(9, 6, 8), end=at(9, 11, 18), hours="08:00-12:00,15:00-18:00")
        for phase in (local, everyone):
            phase.regions = [PhaseRegion(node=_node(code)) for code in FIVE]
        db.session.add_all([general, local, everyone])
        db.session.commit()
    return eid


def _refusal(exam, unit, hukou, moment):
    try:
        check_open("confirmation", exam, "01", _node(unit), moment, hukou=hukou)
    except PhaseClosed as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("city", FIVE)
def test_first_days_admit_only_local_hukou_in_the_five_cities(app, hunan, city):
    with app.app_context():
        unit = f"BM{city[:4]}02"
        local, other = city[:4] + "21", "430300"  # a county of the city / 湘潭
        for day in (2, 3, 4, 5):
            assert _refusal(hunan, unit, local, at(9, day)) is None
            refusal = _refusal(hunan, unit, other, at(9, day))
            assert refusal and "户籍" in refusal and _node(city).name in refusal
            assert "2019-09-06 08:00" in refusal  # when everyone may
            assert _refusal(hunan, unit, None, at(9, day)) is not None  # no 户籍: not local
        for day in (6, 11):
            assert _refusal(hunan, unit, other, at(9, day)) is None
            assert _refusal(hunan, unit, local, at(9, day)) is None
        # A unit-level check (no candidate named) is not refused by the 户籍 condition.
        check_open("confirmation", hunan, "01", _node(unit), at(9, 3))
        assert _refusal(hunan, unit, local, at(9, 12)) is not None  # closed after 9/11


def test_outside_the_five_cities_everyone_from_the_first_day(app, hunan):
    with app.app_context():
        assert _refusal(hunan, "BM430302", "410102", at(9, 2)) is None
        assert _refusal(hunan, "BM430302", "410102", at(9, 11, 17, 59)) is None
        assert "2019-09-02 08:00" in _refusal(hunan, "BM430302", "430302", at(9, 1))


@pytest.mark.parametrize("hour,minute,is_open", [
    (7, 59, False), (8, 0, True), (11, 59, True), (12, 0, False), (14, 59, False),
    (15, 0, True), (17, 59, True), (18, 0, False), (21, 0, False)])
def test_daily_hours_with_their_boundaries(app, hunan, hour, minute, is_open):
    with app.app_context():
        moment = at(9, 7, hour, minute)
        for unit in ("BM430102", "BM430302"):
            refusal = _refusal(hunan, unit, "430102", moment)
            assert (refusal is None) == is_open, (unit, moment, refusal)
            if not is_open:
                assert "08:00–12:00, 15:00–18:00" in refusal


def test_extension_moves_the_end_and_keeps_hours_and_hukou(app, hunan):
    with app.app_context():
        local = db.session.execute(select(Phase).where(
            Phase.exam_id == hunan, Phase.hukou_local == "city")).scalar_one()
        db.session.add(PhaseExtension(phase=local, node=_node("430102"), new_end=at(9, 5, 22),
                                      reason="网络中断"))
        db.session.commit()
        assert _refusal(hunan, "BM430102", "430111", at(9, 5, 16)) is None
        # The extended evening keeps the daily hours and the 户籍 condition.
        assert "08:00–12:00" in _refusal(hunan, "BM430102", "430111", at(9, 5, 19))
        evening = at(9, 5, 11)
        assert "户籍" in _refusal(hunan, "BM430102", "430300", evening)
        # Another of the five cities has no extension.
        assert _refusal(hunan, "BM430202", "430211", at(9, 5, 19)) is not None


def test_parse_hours_rejects_bad_ranges():
    assert parse_hours("08:00-12:00，15:00-18:00") == [
        (dt.time(8), dt.time(12)), (dt.time(15), dt.time(18))]
    assert parse_hours("") == []
    for bad in ("8-12", "12:00-08:00", "08:00-12:00,11:00-13:00", "25:00-26:00", "abc"):
        with pytest.raises(ValueError):
            parse_hours(bad)


# --- every writer --------------------------------------------------------------------------------


@pytest.fixture
def local_days(app):
    """The 2026 中招's staff entry and self-registration in 郑州 (410100) admit only local 户籍
    today and everyone from the day after tomorrow; the rest of Henan stays open."""
    now = now_local()
    created = []
    with app.app_context():
        eid = exam_id(app, ZHONGZHAO, 2026)
        city = _node("410100")
        for activity in ("staff_entry", "self_registration"):
            rows = [Phase(exam_id=eid, activity=activity, name="郑州户籍考生", hukou_local="city",
                          start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1)),
                    Phase(exam_id=eid, activity=activity, name="郑州所有考生",
                          start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=9))]
            for row in rows:
                row.regions = [PhaseRegion(node=city)]
            db.session.add_all(rows)
            db.session.flush()
            created += [r.id for r in rows]
        db.session.commit()
    _WINDOWS.clear()
    yield
    with app.app_context():
        db.session.execute(delete(Phase).where(Phase.id.in_(created)))
        db.session.commit()
    _WINDOWS.clear()


def test_staff_edit_refused_for_non_local_hukou(app, login, local_days):
    staff = login("zy_school")
    outsider = make_candidate(app, hukou="430102", name="外地考生")
    native = make_candidate(app, hukou="410105", name="本地考生")

    def save(cid, hukou):
        staff.refresh_token(f"/candidateview/edit/{cid}")
        return text(staff.post(f"/candidateview/edit/{cid}", edit_form(
            app, cid, phone="13955556666", hukou=hukou), follow_redirects=True))

    assert "户籍" in save(outsider, "430102")
    assert "户籍" in save(native, "430102")  # becoming non-local is refused too
    save(native, "410105")
    with app.app_context():
        assert db.session.get(Candidate, outsider).phone is None
        assert db.session.get(Candidate, native).phone == "13955556666"


def test_self_service_edit_refused_for_non_local_hukou(app, school_staff, local_days):
    for hukou, allowed in (("430102", False), ("410102", True)):
        cid, number = self_service_candidate(app, hukou=hukou, name=f"自助{hukou}")
        client = Client(app)
        assert activate(client, number, issue(school_staff, cid)).status_code == 302
        client.refresh_token("/me/info")
        resp = client.post("/me/info/contact", {"phone": "13711112222", "address": "建设路",
                                                "postcode": "450000"}, follow_redirects=True)
        with app.app_context():
            phone = db.session.get(Candidate, cid).phone
        assert (phone == "13711112222") == allowed, (hukou, text(resp)[-800:])
        if not allowed:
            assert "户籍" in text(resp)


def test_registry_import_rejects_non_local_rows(app, login, local_days):
    staff = login("zy_school")
    header = ["姓名", "身份证号", "性别", "学校代码", "户籍所在地"]
    rows = [["本地导入", idn(21, 601), "1", "41010201", "410102"],
            ["外地导入", idn(22, 602), "1", "41010201", "430102"]]
    _batch, status = run_import(staff, app, csv_bytes(rows, header=header))
    assert (status["created"], status["rejected"]) == (1, 1), status
    with app.app_context():
        names = set(db.session.execute(select(Candidate.name).where(
            Candidate.name.in_(("本地导入", "外地导入")))).scalars())
    assert names == {"本地导入"}


# --- the phase screen and the calendar -----------------------------------------------------------


def test_phase_screen_takes_regions_hukou_and_hours(app, login, hunan):
    admin = login("henan_admin")
    form = {"exam": str(hunan), "activity": "self_registration", "name": "五市户籍网报",
            "start": "2019-09-02 08:00:00", "end": "2019-09-05 18:00:00",
            "region_codes": "430100,株洲市、衡阳市", "hukou_local": "city",
            "hours": "8:00-12:00, 15:00-18:00"}
    admin.refresh_token("/phaseview/add")
    bad = text(admin.post("/phaseview/add", {**form, "hours": "08:00-12:00,11:00-13:00",
                                             "region_codes": "430100,火星市"}))
    assert "重叠" in bad or "火星市" in bad
    assert "五市户籍网报" in bad  # the form keeps what was typed
    admin.refresh_token("/phaseview/add")
    resp = admin.post("/phaseview/add", form)
    assert resp.status_code == 302
    with app.app_context():
        phase = db.session.execute(select(Phase).where(Phase.name == "五市户籍网报")).scalar_one()
        assert sorted(r.node.code for r in phase.regions) == ["430100", "430200", "430400"]
        assert phase.hours == "08:00-12:00,15:00-18:00" and phase.hukou_local == "city"
        pid = phase.id
    edit = text(admin.get(f"/phaseview/edit/{pid}"))
    assert "430100,430200,430400" in edit
    admin.refresh_token(f"/phaseview/edit/{pid}")
    assert admin.post(f"/phaseview/edit/{pid}", {**form, "region_codes": "430600",
                                                 "hours": ""}).status_code == 302
    with app.app_context():
        phase = db.session.get(Phase, pid)
        assert [r.node.code for r in phase.regions] == ["430600"] and phase.hours is None
    pages = [text(admin.get(u)) for u in ("/phaseview/add", "/phaseview/list/",
                                           f"/phaseview/show/{pid}")]
    assert "每天办理时间" in pages[0] and "户籍条件" in pages[0] and "适用地区" in pages[0]
    for page in pages:
        for word in ("Regions", "Daily hours", "Household", "Everyone", "Everywhere", "All day"):
            assert word not in page
    calendar = text(admin.get(f"/phases/timeline/{hunan}"))
    assert "岳阳市" in calendar and "08:00-12:00, 15:00-18:00" in calendar
    assert "户籍" in calendar


def test_status_page_shows_the_daily_hours(app, candidate):
    now = now_local()
    with app.app_context():
        row = Phase(exam_id=exam_id(app, ZHONGZHAO, 2026), activity="self_registration",
                    name="郑州网报", hours="00:00-24:00", category="01", start=now - dt.timedelta(days=1),
                    end=now + dt.timedelta(days=1))
        row.regions = [PhaseRegion(node=_node("410100"))]
        db.session.add(row)
        db.session.commit()
        pid = row.id
    _WINDOWS.clear()
    try:
        client, _cid, _number = candidate()
        page = text(client.get("/me/"))
        assert "每天办理时间: 00:00-24:00" in page, page[page.find('id="window"'):][:600]
    finally:
        with app.app_context():
            db.session.execute(delete(Phase).where(Phase.id == pid))
            db.session.commit()
        _WINDOWS.clear()
