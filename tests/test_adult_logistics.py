"""成人高考 logistics: payment results imported from the payment platform's file, the points'
unpaid check, exam sites, and the ticket numbering job (exam-room allocation and 准考证号)
down to the candidate's own ticket download. The module builds its own database: it seats
and numbers a whole exam, which must not disturb other modules' counts."""
import datetime as dt
import io
import random

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, func, select

from app.adult import logistics
from app.adult.logistics import AllocationError, Seat, Site, Sitting, allocate
from app.adult.models import AdultPayment, ExamSite, NumberingRun, SeatAssignment, UnpaidCheck
from app.audit import AuditLog
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from conftest import Client
from helpers import GOOD, activate, exam_id, issue, me_login, text

from adult_support import CLOSED, OPEN, make, numbering, tickets, window


def csv_upload(rows, encoding="gbk"):
    body = "\n".join(",".join(r) for r in [("考生号", "身份证号", "金额", "缴费时间", "交易流水号"),
                                             *rows])
    return (io.BytesIO(body.encode(encoding)), "payments.csv")


def upload(client, data, exam):
    client.refresh_token("/adult/payments/")
    return client.post("/adult/payments/import", {"exam": exam, "file": data},
                       content_type="multipart/form-data")


# --- allocation (pure) ------------------------------------------------------------------------


def sittings(n, area="410102", group="02-1", start=0):
    return [Sitting(start + i, area, group, (f"N{start + i:05d}",)) for i in range(n)]


def test_allocation_keeps_groups_apart_within_capacity_and_is_deterministic():
    sites = [Site(1, "410102", "01", rooms=3, seats_per_room=30),
             Site(2, "410102", "02", rooms=2, seats_per_room=25),
             Site(3, "410103", "01", rooms=2, seats_per_room=30)]
    people = (sittings(40, group="02-1") + sittings(31, group="01-2", start=100)
              + sittings(3, group="03-09", start=200) + sittings(50, "410103", start=300))
    seats = allocate(people, sites)
    assert len(seats) == len(people)
    assert len({(s.site_id, s.room, s.seat) for s in seats}) == len(seats)  # one seat each
    rooms = {}
    for s in seats:
        rooms.setdefault((s.site_id, s.room), set()).add(s.group)
        site = next(x for x in sites if x.id == s.site_id)
        assert 1 <= s.seat <= site.seats_per_room and 1 <= s.room <= site.rooms
    assert all(len(groups) == 1 for groups in rooms.values())  # one paper group per room
    # Areas stay apart: 二七区's candidates only at its own site.
    assert {s.site_id for s in seats if s.candidate_id >= 300} == {3}
    # Groups in code order, candidates in number order, rooms in site and room order.
    first = {s.candidate_id: s for s in seats}
    assert (first[100].site_id, first[100].room, first[100].seat) == (1, 1, 1)  # 01-2 first
    assert (first[130].site_id, first[130].room, first[130].seat) == (1, 2, 1)
    assert (first[0].site_id, first[0].room) == (1, 3)  # 02-1 next
    assert (first[30].site_id, first[30].room, first[30].seat) == (2, 1, 1)
    shuffled = people[:]
    random.Random(7).shuffle(shuffled)
    assert allocate(shuffled, list(reversed(sites))) == seats


def test_allocation_refuses_what_does_not_fit_and_names_it():
    sites = [Site(1, "410102", "01", rooms=2, seats_per_room=30, name="五十七中")]
    with pytest.raises(AllocationError) as err:
        # Two groups of 31 need four rooms; a third area has no site at all.
        allocate(sittings(31) + sittings(31, group="01-1", start=100)
                 + sittings(2, "410105", start=200), sites)
    text = " ".join(str(p) for p in err.value.problems)
    assert "410102" in text and "410105" in text and len(err.value.problems) == 2
    # Exactly full is fine.
    assert len(allocate(sittings(60), sites)) == 60


def test_allocation_keeps_issued_seats_and_fills_around_them():
    sites = [Site(1, "410102", "01", rooms=3, seats_per_room=2)]
    taken = [Seat(900, 1, 1, 1, "02-1"), Seat(901, 1, 2, 2, "01-1")]
    seats = allocate(sittings(3), sites, taken)
    # The group's own room first (seat 2), then an empty room; room 2 belongs to 01-1.
    assert [(s.room, s.seat) for s in seats] == [(1, 2), (3, 1), (3, 2)]
    with pytest.raises(AllocationError):
        allocate(sittings(4), sites, taken)
    # A kept seat that the site no longer has is a problem, not silently dropped.
    with pytest.raises(AllocationError):
        allocate([], [Site(1, "410102", "01", rooms=1, seats_per_room=2)], taken)


def test_ticket_number_timetable_and_groups():
    assert logistics.ticket_number(2026, "410102", "01", 3, 17) == "264101020100317"
    assert logistics.paper_group("03", "1", "09") == "03-09"
    assert logistics.paper_group("01", "2", "07") == "01-2"
    day = dt.date(2026, 10, 24)
    science = logistics.timetable(day, "01-2")
    assert [r["subject"] for r in science] == ["语文", "数学（理）", "外语", "理化综合"]
    assert science[0] == {"subject": "语文", "start": "2026-10-24 09:00",
                          "end": "2026-10-24 11:00"}
    assert [r["subject"] for r in logistics.timetable(day, "02-1")] == ["语文", "数学（文）", "外语"]
    medical = logistics.timetable(day, "03-09")
    assert medical[-1] == {"subject": "医学综合", "start": "2026-10-25 14:30",
                           "end": "2026-10-25 17:00"}


def test_payment_values_are_parsed_strictly():
    assert str(logistics.parse_amount("¥160.00")) == "160.00"
    assert logistics.parse_amount("160.005") is None
    assert logistics.parse_amount("-1") is None and logistics.parse_amount("abc") is None
    assert logistics.parse_paid_at("2026/9/5 14:03") == dt.datetime(2026, 9, 5, 14, 3)
    assert logistics.parse_paid_at("20260905140327") == dt.datetime(2026, 9, 5, 14, 3, 27)
    assert logistics.parse_paid_at("2026-02-30 10:00") is None
    assert logistics.parse_transaction(" 4200001234 ") == "4200001234"
    assert logistics.parse_transaction("12") is None


# --- payments -------------------------------------------------------------------------------


def test_payment_file_records_confirmed_candidates_of_the_subtree_only(app, login):
    eid = exam_id(app, ADULT)
    by_number = make(app)
    by_id = make(app)
    draft = make(app, state="confirmed")
    foreign = make(app, point="BM410103")
    rows = [
        (by_number[1], "", "160", "2026-09-05 10:01:02", "TX1001"),
        ("", by_id[2], "160.00", "2026/9/5 10:02", "TX1002"),
        (draft[1], "", "160", "2026-09-05 10:03", "TX1003"),
        (foreign[1], "", "160", "2026-09-05 10:04", "TX1004"),
        ("26410102999999", "", "160", "2026-09-05 10:05", "TX1005"),
        (by_number[1], "", "abc", "2026-09-05 10:06", "TX1006"),
        (by_number[1], "", "160", "2026-09-05 10:07", "TX1001"),  # the same transaction again
    ]
    admin = login("zy_admin")
    page = text(upload(admin, csv_upload(rows), eid))
    assert "7 行：登记缴费 2 条，已登记 0 条，拒绝 5 条" in page, page
    assert "尚未通过报名确认点现场确认" in page
    # Unknown and another county's candidate read the same.
    assert page.count("您的管辖范围内没有该考生号或身份证号的本次考试考生") == 2
    assert "不是以元为单位的金额" in page and "本文件第 2 行已有该交易或该考生" in page
    with app.app_context():
        paid = dict(db.session.execute(select(AdultPayment.candidate_id,
                                              AdultPayment.transaction_id)).all())
        assert paid[by_number[0]] == "TX1001" and paid[by_id[0]] == "TX1002"
        assert draft[0] not in paid and foreign[0] not in paid
        audit = [a for a in db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_adult_payment", AuditLog.action == "insert")).scalars()
            if a.changes["transaction_id"][1] == "TX1001"]
        assert len(audit) == 1
        audit = audit[0]
        assert audit.username == "zy_admin" and audit.changes["transaction_id"][1] == "TX1001"
    # The same file again (now UTF-8) records nothing twice.
    page = text(upload(admin, csv_upload(rows, "utf-8-sig"), eid))
    assert "登记缴费 0 条，已登记 2 条，拒绝 5 条" in page
    # eq_admin holds the 二七区 candidate: its row is recorded there.
    eq = login("eq_admin")
    page = text(upload(eq, csv_upload([(foreign[1], "", "160", "2026-09-05 10:04",
                                        "TX1004")]), eid))
    assert "登记缴费 1 条" in page
    # A second transaction for a paid candidate is refused with the first one named.
    page = text(upload(admin, csv_upload([(by_number[1], "", "160", "2026-09-06 08:00",
                                           "TX2001")]), eid))
    assert "TX1001" in page and "登记缴费 0 条" in page


def test_payment_file_from_excel_and_unusable_files(app, login):
    eid = exam_id(app, ADULT)
    cid, number, idn = make(app)
    wb = Workbook()
    ws = wb.active
    ws.append(["KSH", "JE", "JFSJ", "JYLSH"])
    ws.append([number, 160, dt.datetime(2026, 9, 7, 9, 30), "XL0001"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    admin = login("zz_admin")  # the city imports for its counties
    page = text(upload(admin, (buf, "pay.xlsx"), eid))
    assert "登记缴费 1 条" in page
    with app.app_context():
        payment = db.session.execute(select(AdultPayment).where(
            AdultPayment.candidate_id == cid)).scalar_one()
        assert payment.paid_at == dt.datetime(2026, 9, 7, 9, 30) and payment.amount == 160
    resp = upload(admin, (io.BytesIO("考生号,金额\n1,2\n".encode()), "x.csv"), eid)
    assert resp.status_code == 302
    page = text(admin.get(resp.location))
    assert "文件缺少以下列" in page and "缴费时间" in page
    # Point staff and reviewers do not import payment files.
    assert login("zy_point").get("/adult/payments/").status_code == 403


# --- unpaid check ---------------------------------------------------------------------------


def test_points_record_why_confirmed_candidates_have_not_paid(app, login):
    eid = exam_id(app, ADULT)
    unpaid = make(app, name="未缴费甲")
    paid = make(app, name="已缴费乙", paid=True)
    foreign = make(app, point="BM410103", name="二七未缴")
    window(app, "unpaid_check", OPEN)
    point = login("zy_point")
    page = text(point.get(f"/adult/unpaid/?exam={eid}"))
    assert "未缴费甲" in page and "已缴费乙" not in page and "二七未缴" not in page
    point.refresh_token(f"/adult/unpaid/?exam={eid}")
    resp = point.post("/adult/unpaid/record", {"candidate": unpaid[0], "reason": "99"})
    assert "请在备注中说明原因" in text(point.get(resp.location))
    point.post("/adult/unpaid/record", {"candidate": unpaid[0], "reason": "02",
                                        "note": "银行卡限额"})
    with app.app_context():
        check = db.session.execute(select(UnpaidCheck).where(
            UnpaidCheck.candidate_id == unpaid[0])).scalar_one()
        assert (check.reason, check.note) == ("02", "银行卡限额")
        assert db.session.execute(select(func.count(AuditLog.id)).where(
            AuditLog.table_name == "ks_adult_unpaid_check", AuditLog.username == "zy_point")
        ).scalar() == 1
    assert "网上支付未成功：银行卡限额" in text(point.get(f"/adult/unpaid/?exam={eid}"))
    # Another county's candidate: 404, nothing recorded.
    assert point.post("/adult/unpaid/record", {"candidate": foreign[0],
                                               "reason": "01"}).status_code == 404
    # A paid candidate needs no reason.
    resp = point.post("/adult/unpaid/record", {"candidate": paid[0], "reason": "01"})
    assert "已缴费" in text(point.get(resp.location))

    # Outside the window nothing is recorded and the page says why.
    window(app, "unpaid_check", CLOSED)
    resp = point.post("/adult/unpaid/record", {"candidate": unpaid[0], "reason": "01"})
    page = text(point.get(resp.location))
    assert "核查已确认未缴费考生当前未开放" in page
    with app.app_context():
        assert db.session.execute(select(UnpaidCheck.reason).where(
            UnpaidCheck.candidate_id == unpaid[0])).scalar_one() == "02"
    # The county sees its points' answers.
    assert "银行卡限额" in text(login("zy_admin").get(f"/adult/unpaid/?exam={eid}"))
    assert "未缴费甲" not in text(login("eq_admin").get(f"/adult/unpaid/?exam={eid}"))


def test_the_unpaid_list_says_which_records_are_void(app, login):
    """After the payment window (with its extensions) a confirmed, unpaid record is void:
    the point's list says so, as the candidate's own page does (payment_state)."""
    eid = exam_id(app, ADULT)
    make(app, name="作废核对")
    window(app, "unpaid_check", OPEN)
    point = login("zy_point")
    try:
        window(app, "payment", OPEN)
        page = text(point.get(f"/adult/unpaid/?exam={eid}"))
        row = page[page.index("作废核对"):][:120]
        assert "未缴费" in row and "已作废" not in row
        window(app, "payment", CLOSED)
        page = text(point.get(f"/adult/unpaid/?exam={eid}"))
        assert "已作废（未在规定时间内缴费）" in page[page.index("作废核对"):][:120]
    finally:
        window(app, "payment", OPEN)


# --- exam sites -----------------------------------------------------------------------------


def add_site(client, exam, node, code, rooms=2, seats=30, name="测试考点"):
    client.refresh_token("/adult/sites/add")
    return client.post("/adult/sites/add", {
        "exam": exam, "node": node, "code": code, "name": name, "address": "测试路 1 号",
        "rooms": rooms, "seats_per_room": seats}, follow_redirects=True)


def test_county_admins_enter_the_sites_of_their_own_area(app, login, ids):
    eid = exam_id(app, ADULT)
    zy, eq = login("zy_admin"), login("eq_admin")
    page = text(add_site(zy, eid, ids.node("410102"), "1"))
    assert "考点代码为 2 位数字" in page
    page = text(add_site(zy, eid, ids.node("410102"), "01"))  # the demo's site holds 01
    assert "已有代码为 01 的考点" in page
    page = text(add_site(zy, eid, ids.node("410103"), "07"))  # forged: the sibling county
    assert "该单位不在您的辖区范围内" in page
    add_site(zy, eid, ids.node("410102"), "07", name="中原测试考点")
    with app.app_context():
        site = db.session.execute(select(ExamSite).where(
            ExamSite.name == "中原测试考点")).scalar_one()
        assert (site.code, site.rooms, site.seats_per_room) == ("07", 2, 30)
        site_id = site.id
    assert "中原测试考点" in text(zy.get("/adult/sites/list/"))
    assert "中原测试考点" not in text(eq.get("/adult/sites/list/"))
    assert eq.get(f"/adult/sites/show/{site_id}").status_code == 404
    eq.refresh_token("/adult/sites/list/")
    eq.post(f"/adult/sites/delete/{site_id}")
    with app.app_context():
        assert db.session.get(ExamSite, site_id) is not None
    zy.refresh_token("/adult/sites/list/")
    zy.post(f"/adult/sites/delete/{site_id}")
    with app.app_context():
        assert db.session.get(ExamSite, site_id) is None


# --- numbering job --------------------------------------------------------------------------


def own_site(app, area, rooms, seats=30):
    """An exam site for ``area``, whose candidates only the numbering tests make."""
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == area)).scalar_one()
        site = ExamSite(exam_id=exam_id(app, ADULT), node=node, code="01",
                        name=f"{node.name}考点",
                        address=f"{node.name}考试路 1 号", rooms=rooms, seats_per_room=seats,
                        state="approved")  # numbering seats at approved sites only
        db.session.add(site)
        db.session.commit()
        return site.id


def test_numbering_job_seats_paid_candidates_and_keeps_issued_numbers(app, login):
    eid = exam_id(app, ADULT)
    site_id = own_site(app, "410105", rooms=3)
    own_site(app, "410302", rooms=1)
    science = [make(app, "BM410105", level="01", track="2", paid=True, name="理工考生")
               for _ in range(3)]
    arts = make(app, "BM410105", level="02", track="1", paid=True, name="文史考生")
    medical = make(app, "BM410302", level="03", major="09", paid=True, name="医学考生")
    unpaid = make(app, "BM410105")
    unconfirmed = make(app, "BM410105", state="confirmed", paid=True)
    province = login("henan_admin")
    # Only the province numbers tickets, and only in the window.
    assert login("zy_admin").get(f"/adult/numbering/?exam={eid}").status_code == 403
    window(app, "ticket_numbering", CLOSED)
    before = tickets(app)  # another test of the module may have numbered the exam already
    province.refresh_token(f"/adult/numbering/?exam={eid}")
    resp = province.post("/adult/numbering/run", {"exam": eid})
    assert "准考证编排当前未开放" in text(province.get(resp.location))
    assert tickets(app) == before
    window(app, "ticket_numbering", OPEN)
    page = numbering(province, eid)
    assert "完成" in page, page
    issued = tickets(app)
    assert unpaid[0] not in issued and unconfirmed[0] not in issued
    with app.app_context():
        site = db.session.get(ExamSite, site_id)
        ticket_site, first_day = site.ticket_site, db.session.get(Exam, eid).exam_date
    # 01-2 sorts before 02-1: the science candidates fill room 1, arts room 2.
    numbers = sorted(issued[c[0]][0] for c in science)
    assert numbers == ["264101050100101", "264101050100102", "264101050100103"]
    number, site_name, room, seat, timetable = issued[arts[0]]
    assert (number, site_name, room, seat) == ("264101050100201", ticket_site, "002", "01")
    assert [r["subject"] for r in timetable] == ["语文", "数学（文）", "外语"]
    assert timetable[0]["start"] == f"{first_day.isoformat()} 09:00"
    assert issued[medical[0]][0] == "264103020100101"
    assert issued[medical[0]][4][-1]["subject"] == "医学综合"
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(  # the run just made, not an earlier one
            AuditLog.action == "numbering", AuditLog.node_path.like("%/410105/"))
            .order_by(AuditLog.id.desc())).scalars().first()
        assert audit.username == "henan_admin" and "264101050100201" in audit.changes["tickets"]
    # A second run keeps every number and seats only newcomers, after the others.
    late = make(app, "BM410105", level="01", track="2", paid=True, name="补录考生")
    numbering(province, eid)
    again = tickets(app)
    assert {k: v[0] for k, v in again.items() if k in issued} == \
        {k: v[0] for k, v in issued.items()}
    assert again[late[0]][0] == "264101050100104"
    # The candidate downloads the ticket through self-service.
    window(app, "ticket_print", OPEN)
    cand = Client(app)
    assert activate(cand, arts[2], issue(province, arts[0])).status_code == 302
    me_login(cand, arts[2], GOOD)
    resp = cand.get("/me/forms/ticket.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    # A site made smaller than its issued seats is refused.
    province.refresh_token(f"/adult/sites/edit/{site_id}")
    page = text(province.post(f"/adult/sites/edit/{site_id}", {
        "name": "金水区考点", "address": "金水区考试路 1 号", "rooms": 1, "seats_per_room": 30},
        follow_redirects=True))
    assert "请先重新编排准考证号" in page
    page = text(province.post(f"/adult/sites/delete/{site_id}", follow_redirects=True))
    assert "该考点已编排考生" in page
    with app.app_context():
        assert db.session.get(ExamSite, site_id).rooms == 3
    # Renumbering gives up the seats of candidates no longer eligible.
    with app.app_context():
        db.session.execute(delete(AdultPayment).where(AdultPayment.candidate_id == late[0]))
        db.session.commit()
    numbering(province, eid, renumber=True)
    final = tickets(app)
    assert late[0] not in final and final[arts[0]][0] == "264101050100201"
    with app.app_context():
        assert db.session.execute(select(func.count(SeatAssignment.id))).scalar() == len(final)


def test_numbering_writes_nothing_when_seats_run_out(app, login):
    eid = exam_id(app, ADULT)
    window(app, "ticket_numbering", OPEN)
    before = tickets(app)
    with app.app_context():
        site = db.session.execute(select(ExamSite).where(
            ExamSite.exam_id == eid, ExamSite.node.has(Node.code == "410103"))).scalar_one()
        rooms, site.rooms, site_id = site.rooms, 1, site.id
        db.session.commit()
    # Two paper groups for a one-room site: one of them has no room.
    make(app, point="BM410103", level="01", track="1", paid=True)
    make(app, point="BM410103", level="02", track="2", paid=True)
    page = numbering(login("henan_admin"), eid)
    assert "未编排任何准考证号" in page and "410103" in page
    assert tickets(app) == before
    with app.app_context():
        db.session.get(ExamSite, site_id).rooms = rooms
        db.session.commit()


def test_numbering_run_is_a_job_record_with_a_status_route(app, login, monkeypatch):
    """The numbering keeps its run as a job record: its page polls one status route, and a
    failure is stored with its message on the run (not lost with the rq job)."""
    eid = exam_id(app, ADULT)
    window(app, "ticket_numbering", OPEN)
    province = login("henan_admin")
    province.refresh_token(f"/adult/numbering/?exam={eid}")
    resp = province.post("/adult/numbering/run", {"exam": eid})
    province.run_jobs()
    run_id = int(resp.location.rstrip("/").split("/")[-1])
    status = province.get(f"/adult/numbering/job/{run_id}/status").get_json()
    assert (status["status"], status["final"], status["percent"]) == ("done", True, 100)
    with app.app_context():
        run = db.session.get(NumberingRun, run_id)
        assert run.user_id and run.result is not None and run.finished_on is not None

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr("app.adult.tasks.run_numbering", broken)
    resp = province.post("/adult/numbering/run", {"exam": eid})
    province.run_jobs()
    run_id = int(resp.location.rstrip("/").split("/")[-1])
    page = text(province.get(f"/adult/numbering/job/{run_id}"))
    assert "服务器错误" in page and "磁盘已满" in page
    assert province.get(f"/adult/numbering/job/{run_id}/status").get_json()["status"] == "failed"
