"""成人高考 exam sites (考点) through their approval chain — the county proposes, the city agrees
or returns, the province approves — the numbering that seats candidates at approved sites
only, and the city's 参考范围 / 考区调整 moving an area's candidates to another county's site.
The module builds its own database (it numbers a whole exam)."""
import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import delete, select

from app.adult.logistics import Seat, Site, Sitting, allocate
from app.adult.models import (AdultPayment, ExamSite, SeatAssignment,
                              SiteRange)
from app.audit import AuditLog
from app.candidates.models import Candidate, Preference
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.printing.models import AdmissionTicket
from app.validators import make_id_number
from helpers import exam_id, text

OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
_seq = itertools.count(11, 2)
_number = itertools.count(1)


def window(app, activity, span):
    with app.app_context():
        eid = exam_id(app, ADULT)
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == eid, Phase.activity == activity)).scalar_one()
        phase.start, phase.end = span
        db.session.commit()


def make(app, point, level="02", track="1", major="02", name="成考生"):
    """A paid 2026 成人高考 candidate confirmed on site at ``point``; returns its id."""
    with app.app_context():
        exam = db.session.get(Exam, exam_id(app, ADULT))
        node = db.session.execute(select(Node).where(Node.code == point)).scalar_one()
        birth = dt.date(1995, 3, 4)
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=birth,
                         id_number=make_id_number(node.parent.code, birth, next(_seq)),
                         category=level, state="school_approved", phone="13700000000",
                         candidate_number=f"26{node.parent.code}8{next(_number):05d}")
        cand.preferences.append(Preference(
            seq=1, level=level, track=None if level == "03" else track, major_category=major,
            study_form="3", school_code="10459", school_name="郑州大学", major_code="120203",
            major_name="会计学"))
        db.session.add(cand)
        db.session.flush()
        db.session.add(AdultPayment(candidate_id=cand.id, amount=160,
                                    paid_at=dt.datetime(2026, 9, 5, 10),
                                    transaction_id=f"S{cand.id:08d}"))
        db.session.commit()
        return cand.id


def add_site(client, exam, node, code, rooms=2, seats=30, name="测试考点"):
    client.refresh_token("/adult/sites/add")
    return client.post("/adult/sites/add", {
        "exam": exam, "node": node, "code": code, "name": name, "address": "测试路 1 号",
        "contact": "王老师", "phone": "0371-67001234", "rooms": rooms,
        "seats_per_room": seats}, follow_redirects=True)


def site_named(app, name):
    with app.app_context():
        site = db.session.execute(select(ExamSite).where(ExamSite.name == name)).scalar_one()
        return site.id, site.state, site.version, site.return_reason


def decide(client, site_id, action, reason=None, version=None):
    client.refresh_token(f"/adult/sites/show/{site_id}")
    form = {"action": action}
    if reason is not None:
        form["reason"] = reason
    if version is not None:
        form["version"] = version
    return client.post(f"/adult/sites/decide/{site_id}", form, follow_redirects=True)


def edit(client, site_id, **over):
    form = {"name": over.pop("name", "审批考点"), "address": "测试路 1 号", "contact": "王老师",
            "phone": "0371-67001234", "rooms": 2, "seats_per_room": 30, **over}
    client.refresh_token(f"/adult/sites/edit/{site_id}")
    return client.post(f"/adult/sites/edit/{site_id}", form, follow_redirects=True)


def numbering(client, exam, renumber=False):
    client.refresh_token(f"/adult/numbering/?exam={exam}")
    resp = client.post("/adult/numbering/run", {"exam": exam,
                                                "renumber": "1" if renumber else ""})
    assert resp.status_code == 302
    client.run_jobs()
    return text(client.get(resp.location))


def tickets(app, ids):
    with app.app_context():
        return dict(db.session.execute(select(
            AdmissionTicket.candidate_id, AdmissionTicket.ticket_number).where(
            AdmissionTicket.candidate_id.in_(ids))).all())


def remove_site(app, site_id):
    with app.app_context():
        db.session.execute(delete(SeatAssignment).where(SeatAssignment.site_id == site_id))
        db.session.execute(delete(SiteRange).where(SiteRange.site_id == site_id))
        db.session.execute(delete(ExamSite).where(ExamSite.id == site_id))
        db.session.commit()


# --- allocation with ranges (pure) -------------------------------------------------------------


def test_a_range_seats_an_area_at_another_areas_sites_without_a_request():
    sites = [Site(1, "410102", "01", rooms=2, seats_per_room=2),
             Site(2, "410103", "01", rooms=2, seats_per_room=2)]
    people = [Sitting(i, "410105", "02-1", (f"N{i}",)) for i in range(3)] + \
        [Sitting(10, "410105", "01-2", ("N10",)), Sitting(20, "410102", "02-1", ("N20",))]
    # 410105 has no site: its 02-1 candidates go to 二七区's site, its other groups to 中原区's.
    ranges = {("410105", "02-1"): [2], ("410105", ""): [1]}
    seats = {s.candidate_id: s for s in allocate(people, sites, ranges=ranges)}
    assert {seats[i].site_id for i in range(3)} == {2}
    assert seats[10].site_id == 1 and seats[20].site_id == 1
    # Without the range the area has nowhere to sit.
    with pytest.raises(Exception) as err:
        allocate(people, sites)
    assert "410105" in str(err.value)
    # A range seat full: the problem is named, nothing is placed.
    with pytest.raises(Exception):
        allocate(people + [Sitting(30 + i, "410105", "02-1", ()) for i in range(2)], sites,
                 [Seat(99, 2, 2, 1, "01-1")], ranges)


# --- the approval chain ------------------------------------------------------------------------


def test_a_site_goes_from_the_county_through_the_city_to_the_province(app, login, ids):
    eid = exam_id(app, ADULT)
    zy, eq, city, province = (login("zy_admin"), login("eq_admin"), login("zz_admin"),
                              login("henan_admin"))
    add_site(zy, eid, ids.node("410102"), "05", name="审批考点")
    site_id, state, version, _reason = site_named(app, "审批考点")
    assert state == "proposed"
    page = text(zy.get(f"/adult/sites/show/{site_id}"))
    assert "已申报，待市级审核" in page
    # The city finds the sites awaiting it by state.
    assert "审批考点" in text(city.get("/adult/sites/list/?_flt_0_state=proposed"))
    assert "审批考点" not in text(city.get("/adult/sites/list/?_flt_0_state=approved"))
    assert "同意设立考点（市级）" not in page  # a county does not decide
    # The sibling county neither sees nor decides it.
    assert eq.get(f"/adult/sites/show/{site_id}").status_code == 404
    eq.refresh_token("/adult/sites/list/")
    assert eq.post(f"/adult/sites/decide/{site_id}", {"action": "city_agree"}).status_code == 404
    # The county's own role may not agree; the province may not skip the city.
    assert "不能执行“同意设立考点（市级）”" in text(decide(zy, site_id, "city_agree"))
    assert "状态，不能执行“批准设立考点（省级）”" in text(decide(province, site_id,
                                                          "province_approve"))
    # The city returns it with a reason (required), the county corrects it.
    assert "必须填写原因" in text(decide(city, site_id, "city_return"))
    page = text(decide(city, site_id, "city_return", "考场数与实际不符"))
    assert site_named(app, "审批考点")[1:4:2] == ("returned", "考场数与实际不符")
    assert "考场数与实际不符" in text(zy.get(f"/adult/sites/show/{site_id}"))
    edit(zy, site_id, rooms=3)
    assert site_named(app, "审批考点")[1] == "proposed"
    # A stale page (the version it carried) is refused.
    assert "已被他人修改" in text(decide(city, site_id, "city_agree", version=version))
    decide(city, site_id, "city_agree")
    assert site_named(app, "审批考点")[1] == "city_agreed"
    decide(province, site_id, "province_approve")
    assert site_named(app, "审批考点")[1] == "approved"
    # Contact details are not reviewed; rooms are: back to the city.
    edit(zy, site_id, rooms=3, contact="李老师")
    assert site_named(app, "审批考点")[1] == "approved"
    edit(zy, site_id, rooms=4, contact="李老师")
    assert site_named(app, "审批考点")[1] == "proposed"
    with app.app_context():
        steps = [a.changes.get("state") for a in db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_exam_site", AuditLog.row_id == site_id)
            .order_by(AuditLog.id)).scalars()]
        users = {a.username for a in db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_exam_site", AuditLog.row_id == site_id)).scalars()}
    assert ["proposed", "city_agreed"] in steps and ["city_agreed", "approved"] in steps
    assert {"zy_admin", "zz_admin", "henan_admin"} <= users
    # Only a site without candidates can be deleted; this one is, so the module stays clean.
    zy.refresh_token("/adult/sites/list/")
    zy.post(f"/adult/sites/delete/{site_id}")
    with app.app_context():
        assert db.session.get(ExamSite, site_id) is None


def test_numbering_refuses_while_a_site_awaits_approval(app, login, ids):
    eid = exam_id(app, ADULT)
    window(app, "ticket_numbering", OPEN)
    cand = make(app, "BM410102", name="待审考点考生")
    add_site(login("zy_admin"), eid, ids.node("410102"), "06", name="未批准考点")
    site_id = site_named(app, "未批准考点")[0]
    try:
        page = numbering(login("henan_admin"), eid)
        assert "未编排任何准考证号" in page and "未批准考点" in page and "尚未批准" in page
        assert tickets(app, [cand]) == {}
    finally:
        remove_site(app, site_id)
    page = numbering(login("henan_admin"), eid)
    assert "完成" in page, page
    assert tickets(app, [cand])[cand].startswith("264101020")


def test_the_city_moves_a_countys_candidates_to_another_countys_site(app, login, ids):
    eid = exam_id(app, ADULT)
    window(app, "ticket_numbering", OPEN)
    city, province = login("zz_admin"), login("henan_admin")
    with app.app_context():
        eq_site = db.session.execute(select(ExamSite).where(
            ExamSite.exam_id == eid, ExamSite.node.has(Node.code == "410103"))).scalar_one()
        ly_site = ExamSite(exam_id=eid, node=db.session.execute(select(Node).where(
            Node.code == "410302")).scalar_one(), code="03", name="洛阳范围考点",
            address="洛阳", rooms=1, state="approved")
        db.session.add(ly_site)
        db.session.commit()
        eq_site_id, ly_site_id = eq_site.id, ly_site.id
    jinshui = ids.node("410105")  # 金水区 has no exam site of its own
    science = [make(app, "BM410105", level="01", track="2", name="金水理工") for _ in range(2)]
    arts = make(app, "BM410105", level="02", track="1", name="金水文史")
    try:
        # Without a range 金水区's candidates have nowhere to sit.
        page = numbering(province, eid)
        assert "未编排任何准考证号" in page and "410105" in page
        # A county reads ranges but does not set them.
        assert login("zy_admin").get("/adult/site-ranges/list/").status_code == 200
        assert login("zy_admin").get("/adult/site-ranges/add").status_code in (302, 403)
        city.refresh_token("/adult/site-ranges/add")
        city.post("/adult/site-ranges/add", {"exam": eid, "node": jinshui, "paper_group": "",
                                             "site": eq_site_id}, follow_redirects=True)
        # The province cannot send 郑州's candidates to a 洛阳 site.
        province.refresh_token("/adult/site-ranges/add")
        page = text(province.post("/adult/site-ranges/add", {
            "exam": eid, "node": jinshui, "paper_group": "01-2", "site": ly_site_id},
            follow_redirects=True))
        assert "只能安排在本市的考点" in page
        # The city cannot reach a 洛阳 site at all.
        page = text(city.post("/adult/site-ranges/add", {
            "exam": eid, "node": jinshui, "paper_group": "01-2", "site": ly_site_id},
            follow_redirects=True))
        assert "不在您的辖区范围内" in page
        with app.app_context():
            ranges = db.session.execute(select(SiteRange.node_id, SiteRange.site_id,
                                               SiteRange.paper_group)).all()
        assert ranges == [(jinshui, eq_site_id, "")]
        # The sibling county does not see 金水区's range; 二七区 sees none of its own.
        assert "金水区" not in text(login("eq_admin").get("/adult/site-ranges/list/"))
        assert "金水区" in text(city.get("/adult/site-ranges/list/"))
        page = numbering(province, eid)
        assert "完成" in page, page
        issued = tickets(app, science + [arts])
        # Seated at 二七区's site: its area and site code make the numbers.
        assert all(n.startswith("2641010301") for n in issued.values()), issued
        assert len(issued) == 3
    finally:
        with app.app_context():
            db.session.execute(delete(SiteRange))
            db.session.commit()
        remove_site(app, ly_site_id)


def test_the_new_screens_read_in_chinese(app, login, ids):
    """No English word on the pages of this part (site page with its steps, ranges, room
    allocation, documents)."""
    from test_zh_staff_screens import visible

    eid = exam_id(app, ADULT)
    with app.app_context():
        site_id = db.session.execute(select(ExamSite.id).where(
            ExamSite.exam_id == eid, ExamSite.node.has(Node.code == "410102"))).scalar_one()
    city = login("zz_admin")
    pages = [f"/adult/sites/show/{site_id}", "/adult/sites/list/", "/adult/site-ranges/list/",
             "/adult/site-ranges/add", f"/adult/allocation/?exam={eid}",
             f"/adult/documents/?exam={eid}"]
    english = re.compile(r"\b[A-Za-z]{3,}\b")
    for url in pages:
        resp = city.get(url)
        assert resp.status_code == 200, url
        words = [w for part in visible(resp) for w in english.findall(part)
                 if w not in ("PDF", "English")]  # the language menu
        assert not words, (url, words)
    province = login("henan_admin")
    for url in pages[-2:]:
        page = text(province.get(url))
        assert "洛阳市" in page and "中原区" in page, url  # every area of the province
