"""The self-service forms (我的信息) as Flask-WTF forms, through HTTP: every field's error beside
it, the longest values, names with the middle dot and rare characters, normalised numbers,
the CSRF token, fields the form does not offer; and what the status page tells the candidate
about its qualification applications and the staff account list's pages."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.extensions import db
from app.review.models import Qualification
from conftest import Client
from factories import self_service_candidate as new_candidate
from helpers import GOOD, PAST, activate, issue, text

pytestmark = pytest.mark.usefixtures("fresh_address_limit")


@pytest.fixture
def staff(login):
    return login("zy_school")


@pytest.fixture
def me(app, staff):
    """A fresh draft candidate logged in on the self-service pages: (client, candidate id)."""
    cid, idn = new_candidate(app, name="表单考生")
    c = Client(app)
    assert activate(c, idn, issue(staff, cid)).status_code == 302
    c.refresh_token("/me/info")
    return c, cid


def stored(app, cid):
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        return (cand.phone, cand.address, cand.postcode,
                [(g.name, g.relation, g.phone, g.work_unit) for g in cand.guardians],
                [(s.start, s.end, s.school, s.role) for s in cand.studies])


def errors_of(page):
    return re.findall(r'<span class="err">([^<]*)</span>', page)


# --- contact ----------------------------------------------------------------------------------


def test_contact_shows_each_fields_error_and_saves_nothing(app, me):
    c, cid = me
    before = stored(app, cid)
    resp = c.post("/me/info/contact", {"phone": "12345", "address": "路" * 201,
                                       "postcode": "45a000"})
    page = text(resp)
    assert resp.status_code == 400
    assert errors_of(page) == ["请输入以13～19开头的11位中国大陆手机号码。", "最多 200 个字符。",
                               "邮政编码应为6位数字。"]
    assert 'value="45a000"' in page  # what was typed is shown again
    resp = c.post("/me/info/contact", {"phone": "   "})
    assert resp.status_code == 400 and errors_of(text(resp)) == ["请填写本人手机号码。"]
    assert stored(app, cid) == before


def test_contact_normalises_and_takes_the_longest_values(app, me):
    c, cid = me
    assert c.post("/me/info/contact", {"phone": "+86 139-0000 4444", "address": "建设路" * 66 + "1号",
                                       "postcode": " ４５０ ０００ "}).status_code == 302
    phone, address, postcode, *_ = stored(app, cid)
    assert (phone, len(address), postcode) == ("13900004444", 200, "450000")
    # Optional fields left empty are stored as NULL; inner runs of spaces become one.
    assert c.post("/me/info/contact", {"phone": "13900004444", "address": " 建设路   1号 ",
                                       "postcode": ""}).status_code == 302
    assert stored(app, cid)[1:3] == ("建设路 1号", None)


def test_fields_the_form_does_not_offer_are_ignored(app, me):
    c, cid = me
    other, _ = new_candidate(app, name="旁人考生")
    assert c.post("/me/info/contact", {
        "phone": "13911112222", "name": "改名", "state": "confirmed", "locked": "1",
        "reject_reason": "x", "id": other, "candidate_id": other}).status_code == 302
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert (cand.phone, cand.name, cand.state, cand.locked) == (
            "13911112222", "表单考生", "draft", False)
        assert db.session.get(Candidate, other).phone == "13800001111"


def test_posts_need_the_csrf_token(app, me):
    c, cid = me
    before = stored(app, cid)
    for url, form in (("/me/info/contact", {"phone": "13922223333"}),
                      ("/me/guardians", {"name": "王建国", "relation": "51"}),
                      ("/me/studies", {"start": "2020-09", "school": "一中"})):
        assert c.post(url, dict(form, csrf_token="")).status_code == 400
        assert c.http.post(url, data=form).status_code == 400
    assert stored(app, cid) == before


# --- guardians --------------------------------------------------------------------------------


def test_guardian_errors_per_field(app, me):
    c, cid = me
    before = stored(app, cid)
    resp = c.post("/me/guardians", {"name": "Bob", "relation": "00", "phone": "123",
                                    "work_unit": "单" * 101})
    assert resp.status_code == 400
    assert errors_of(text(resp)) == [
        "姓名只能包含汉字和间隔号“·”，不允许使用“B”。", "请选择与考生的关系。",
        "请输入以13～19开头的11位中国大陆手机号码。", "最多 100 个字符。"]
    resp = c.post("/me/guardians", {"relation": "51"})
    assert resp.status_code == 400 and errors_of(text(resp)) == ["姓名应为2至20个字。"]
    for name in ("·阿卜杜拉", "阿卜杜拉··买买提", "王" * 21):
        assert c.post("/me/guardians", {"name": name, "relation": "51"}).status_code == 400
    assert stored(app, cid) == before


@pytest.mark.parametrize("typed, kept", [
    ("阿卜杜拉•买买提", "阿卜杜拉·买买提"),  # an IME's bullet becomes the middle dot
    ("阿卜杜拉・买买提", "阿卜杜拉·买买提"),  # the Japanese katakana middle dot too
    ("𪚥龘", "𪚥龘"),  # Extension B: outside GBK, four bytes in UTF-8
    ("𠀀𰀀", "𠀀𰀀"),  # Extensions B and G
    ("山﨑", "山﨑"),  # a unified ideograph of the compatibility block, not NFKC-folded
    ("欧阳" + "娜" * 18, "欧阳" + "娜" * 18),  # 20 characters, the longest
])
def test_guardian_names_are_kept_as_on_the_id_card(app, me, typed, kept):
    c, cid = me
    assert c.post("/me/guardians", {"name": typed, "relation": "52", "phone": "",
                                    "work_unit": "单" * 100}).status_code == 302
    assert (kept, "52", None, "单" * 100) in stored(app, cid)[3]


def test_an_edit_error_is_shown_beside_that_guardian_only(app, me):
    c, cid = me
    with app.app_context():
        gid = db.session.get(Candidate, cid).guardians[0].id
    resp = c.post(f"/me/guardians/{gid}", {"name": "王", "relation": "51"})
    page = text(resp)
    assert resp.status_code == 400 and errors_of(page) == ["姓名应为2至20个字。"]
    row = page[page.index(f'id="guardian-{gid}"'):page.index('id="guardian-add"')]
    assert "姓名应为2至20个字。" in row and 'value="王"' in row


# --- study history ----------------------------------------------------------------------------


def test_study_errors_per_field(app, me):
    c, cid = me
    before = stored(app, cid)
    resp = c.post("/me/studies", {"start": "", "end": "2023-13", "school": " ", "role": "长" * 51})
    assert resp.status_code == 400
    assert errors_of(text(resp)) == ["请填写日期。", "日期格式为 年-月（如 2023-09）或 年-月-日。",
                                     "请填写学校名称。", "最多 50 个字符。"]
    resp = c.post("/me/studies", {"start": "2099-09", "school": "一中"})
    assert errors_of(text(resp)) == ["起始时间不能晚于今天。"]
    resp = c.post("/me/studies", {"start": "2023-09", "end": "2020-07", "school": "一中"})
    assert errors_of(text(resp)) == ["学习经历的截止时间不能早于起始时间。"]
    resp = c.post("/me/studies", {"start": "九月", "school": "一中"})
    assert errors_of(text(resp)) == ["日期格式为 年-月（如 2023-09）或 年-月-日。"]
    assert stored(app, cid) == before


def test_study_dates_in_every_offered_format(app, me):
    c, cid = me
    for start, end in (("2019.09", ""), ("2019/09", "2020-07-01"), ("2019-09-15", "2020-07")):
        assert c.post("/me/studies", {"start": start, "end": end, "school": "第 一   中学",
                                      "role": "长" * 50}).status_code == 302
    studies = stored(app, cid)[4]
    assert (dt.date(2019, 9, 1), None, "第 一 中学", "长" * 50) in studies
    assert (dt.date(2019, 9, 1), dt.date(2020, 7, 1), "第 一 中学", "长" * 50) in studies
    assert (dt.date(2019, 9, 15), dt.date(2020, 7, 1), "第 一 中学", "长" * 50) in studies
    assert c.post("/me/studies", {"start": "2021-09", "school": "二中",
                                  "role": ""}).status_code == 302
    assert (dt.date(2021, 9, 1), None, "二中", None) in stored(app, cid)[4]


# --- the account's forms ---------------------------------------------------------------------


def test_activation_reports_password_and_recovery_errors_together(app, staff):
    cid, idn = new_candidate(app, name="账户考生")
    code = issue(staff, cid)
    c = Client(app)
    resp = activate(c, idn, code, password2=GOOD + "x", question="问", answer=" A ")
    assert resp.status_code == 400
    assert errors_of(text(resp)) == ["两次输入的密码不一致。",
                                     "请选择或填写密码验证问题（不超过 100 个字）。",
                                     "答案至少 2 个字符。"]
    resp = activate(c, idn, code, question="问" * 101, answer=GOOD.upper())
    assert errors_of(text(resp)) == ["请选择或填写密码验证问题（不超过 100 个字）。",
                                     "答案不能与密码相同。"]
    resp = activate(c, idn, code, question="  我的  小学 ", answer="建设 路小学")
    assert resp.status_code == 302
    with app.app_context():
        from app.selfservice.models import CandidateAccount

        acc = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one()
        assert acc.recovery_question == "我的 小学"
    # The own password page changes the recovery question only when an answer is typed.
    c.refresh_token("/me/password")
    new = "green-hill-lake-77"
    resp = c.post("/me/password", {"current": GOOD, "password": new, "password2": new,
                                   "question": "别的问题", "answer": ""})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(CandidateAccount, acc.id).recovery_question == "我的 小学"
    c.refresh_token("/me/password")
    resp = c.post("/me/password", {"current": new, "password": GOOD, "password2": GOOD,
                                   "question": "别的问题", "answer": "x"})
    assert resp.status_code == 400 and errors_of(text(resp)) == ["答案至少 2 个字符。"]


# --- the status page's window cache -----------------------------------------------------------


def test_status_page_reads_the_window_from_its_cache_and_writes_ask_afresh(app, me, phase):
    from app.phases.models import Phase

    c, cid = me
    phase("self_registration", dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1, 17))
    assert 'id="confirm"' in text(c.get("/me/"))
    with app.app_context():  # closed behind the cache's back (another process, say)
        exam_id = db.session.get(Candidate, cid).exam_id
        for row in db.session.execute(select(Phase).where(  # the rows phase() restores
                Phase.exam_id == exam_id, Phase.activity == "self_registration")).scalars():
            row.start, row.end = PAST
        db.session.commit()
    page = text(c.get("/me/"))  # the countdown is display only: kept a few seconds
    assert "2099-01-01 17:00" in page and 'id="confirm"' in page and 'id="refusal"' not in page
    resp = c.post("/me/info/contact", {"phone": "13922223333"})
    assert resp.status_code == 403 and "2026-03-25 17:00" in text(resp)
    phase("self_registration", *PAST)  # the cache emptied: the page says closed too
    page = text(c.get("/me/"))
    assert 'id="refusal"' in page and 'id="confirm"' not in page


# --- qualification results on the status page ------------------------------------------------


def test_status_page_shows_qualification_results(app, me, login):
    c, cid = me
    assert 'id="qualifications"' not in text(c.get("/me/"))
    staff = login("zy_school")
    staff.refresh_token("/qualifications/add")
    for kind in ("allocation", "ethnic_bonus"):
        staff.post("/qualifications/add", {"candidate": str(cid), "kind": kind, "note": "x"})
    with app.app_context():
        qid = db.session.execute(select(Qualification.id).where(
            Qualification.candidate_id == cid, Qualification.kind == "allocation")).scalar_one()
    reviewer = login("zy_school_reviewer")
    reviewer.refresh_token("/qualifications/list/")
    resp = reviewer.post("/qualifications/action_post", {"action": "q_school_reject",
                                                         "rowid": [str(qid)]})
    page = text(reviewer.get(resp.location))
    reviewer.post("/qualifications/confirm/q_school_reject", {
        "ids": str(qid), **dict(re.findall(r'name="(v_\d+)" value="(\d+)"', page)),
        "reason": "不符合分配生条件"})
    page = text(c.get("/me/"))
    section = page[page.index('id="qualifications"'):]
    section = section[:section.index("</section>")]
    items = re.findall(r'data-kind="(\w+)" data-state="(\w+)"', section)
    assert items == [("allocation", "rejected"), ("ethnic_bonus", "pending")]
    assert "分配生" in section and "未通过" in section and "不符合分配生条件" in section
    assert f"({dt.date.today():%Y-%m-%d})" in section  # when it was decided


# --- the candidate's own audit rows -------------------------------------------------------------


def test_a_printed_form_is_audited_as_the_candidate_at_its_unit(app, me):
    from app.audit import AuditLog

    c, cid = me
    c.refresh_token("/me/")
    assert c.post("/me/confirm", {"version": 1}).status_code == 302
    assert c.get("/me/forms/registration.pdf").status_code == 200
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.action == "print", AuditLog.row_id == cid)).scalar_one()
        assert (row.username, row.user_id, row.candidate_id) == (f"candidate:{cid}", None, cid)
        assert row.node_path.endswith("/41010201/")  # the school's auditors see it


# --- staff: the account list in pages -----------------------------------------------------------


def test_staff_account_list_is_paged(app, staff, ids, monkeypatch):
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam
    from app.selfservice import staff_views

    klass = "九年级（12）班"
    made = [new_candidate(app, name="分页考生", class_name=klass)[0] for _ in range(3)]
    with app.app_context():
        exam_id = db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
    monkeypatch.setattr(staff_views, "PAGE_SIZE", 2)
    query = f"/accounts/?node_id={ids.node('41010201')}&exam_id={exam_id}&class_name={klass}"
    shown = []
    for page in (1, 2):
        html = text(staff.get(f"{query}&page={page}"))
        rows = re.findall(r'data-candidate="(\d+)" data-state="(\w+)"', html)
        assert len(rows) == (2 if page == 1 else 1)
        assert f"<strong>{page}</strong>" in html and 'id="pages"' in html
        shown += [int(cid) for cid, state in rows if state == "not_issued"]
    assert sorted(shown) == sorted(made)
