"""Candidate self-service (/me/) through HTTP: activation, password rules, throttling,
isolation between candidates and from staff, phase and lock, confirmation, staff codes."""
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate, Guardian, StudyHistory
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.selfservice.models import CandidateAccount
from conftest import Client, make_config
from factories import self_service_candidate
from helpers import GOOD, PAST, activate, issue, me_login, text

BIRTH = dt.date(2011, 6, 1)
pytestmark = pytest.mark.usefixtures("fresh_address_limit")


def account(app, cid):
    with app.app_context():
        return db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one_or_none()


@pytest.fixture
def staff(login):
    return login("zy_school")


@pytest.fixture
def window(phase):
    """The 2026 中招 windows: window(activity, start, end)."""
    return phase


# --- activation and passwords ----------------------------------------------------------------


def test_activation_sets_own_password_and_refuses_weak_ones(app, staff, client):
    cid, idn = self_service_candidate(app, name="欧阳晓明")
    code = issue(staff, cid)
    acc = account(app, cid)
    assert acc.password_hash is None and acc.activation_code_hash.startswith("scrypt:16384")
    assert code not in (acc.activation_code_hash or "")
    refused = {
        "short": "abc12",
        "common": "password1",
        "simple": "aaaaaaaaaa",
        "id number": "x" + idn,
        "id tail": idn[-8:] + "zz",
        "birth date": "20110601ab",
        "birth date dashed": "ab2011-06-01",
        "name": "欧阳晓明abc123",
    }
    for label, pw in refused.items():
        resp = activate(client, idn, code, pw)
        assert resp.status_code == 400, label
        assert account(app, cid).password_hash is None, label
    assert activate(client, idn, code, GOOD, password2=GOOD + "x").status_code == 400
    page = text(activate(client, idn, code, "abc"))
    assert "密码长度不得少于8位" in page  # the rule is explained in Chinese
    resp = activate(client, idn, code.lower()[:4] + "-" + code[4:])  # case and dash forgiven
    assert resp.status_code == 302 and resp.location.endswith("/me/")
    acc = account(app, cid)
    assert acc.password_hash.startswith("scrypt:16384:8:1$") and acc.activation_code_hash is None
    assert "建设路小学" not in acc.recovery_answer_hash
    assert "欧阳晓明" in text(client.get("/me/"))
    # the code works once
    other = Client(app)
    assert activate(other, idn, code).status_code == 401
    # log out, log in again
    client.refresh_token("/me/")
    assert client.post("/me/logout").status_code == 302
    assert client.get("/me/").status_code == 302
    assert me_login(client, idn, "wrong-password-9").status_code == 401
    resp = me_login(client, idn)
    assert resp.status_code == 302 and client.get("/me/").status_code == 200


def test_expired_code_is_refused(app, staff, client):
    cid, idn = self_service_candidate(app)
    code = issue(staff, cid)
    with app.app_context():
        acc = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one()
        assert dt.timedelta(days=13) < acc.activation_expires - dt.datetime.now() <= dt.timedelta(days=14)
        acc.activation_expires = dt.datetime.now() - dt.timedelta(minutes=1)
        db.session.commit()
    resp = activate(client, idn, code)
    assert resp.status_code == 401 and "过期" in text(resp)
    assert account(app, cid).password_hash is None


def test_wrong_code_and_unknown_id_give_the_same_answer(app, staff, client):
    cid, idn = self_service_candidate(app)
    issue(staff, cid)
    wrong = text(activate(client, idn, "ABCDEFGH"))
    unknown = text(activate(client, make_id_number("410102", BIRTH, 999), "ABCDEFGH"))
    msg = "身份证号或激活码错误"
    assert msg in wrong and msg in unknown


# --- throttling --------------------------------------------------------------------------------


def test_account_is_locked_after_repeated_failures(app, candidate):
    c, cid, idn = candidate()
    c.refresh_token("/me/")
    c.post("/me/logout")
    for _ in range(5):
        assert me_login(c, idn, "not-the-password").status_code == 401
    resp = me_login(c, idn)  # right password, but locked
    assert resp.status_code == 401 and "锁定" in text(resp)
    with app.app_context():
        acc = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one()
        assert dt.timedelta(minutes=14) < acc.locked_until - dt.datetime.now() <= dt.timedelta(minutes=15)
        acc.locked_until = dt.datetime.now() - dt.timedelta(seconds=1)
        db.session.commit()
    assert me_login(c, idn).status_code == 302


def test_login_posts_are_rate_limited_per_address(tmp_path, database_url):
    from app import create_app

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                 SELF_SERVICE_RATE_LIMIT="3 per minute",
                                 RATELIMIT_STORAGE_URI="memory://"))
    c = Client(app)
    idn = make_id_number("410102", BIRTH, 997)
    codes = [me_login(c, idn, "whatever-123").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    assert me_login(c, idn, "whatever-123").status_code == 429
    c.refresh_token("/me/activate")
    assert c.post("/me/activate", {"id_number": idn, "code": "X"}).status_code == 429  # shared
    assert c.get("/me/login").status_code == 200  # pages still load


# --- sessions ---------------------------------------------------------------------------------


def test_candidate_and_staff_sessions_are_separate(app, candidate, staff):
    c, cid, _idn = candidate()
    for url in ("/candidateview/list/", f"/activation/{cid}", "/review/list/"):
        resp = c.get(url)
        assert resp.status_code == 302 and resp.location.startswith("/login/"), url  # staff login
        assert "/me/" not in (resp.location or "")
    assert staff.get("/me/").status_code == 302
    assert staff.get("/me/").location.endswith("/me/login")
    assert staff.get("/me/info").status_code == 302


def test_idle_session_expires(app, candidate):
    c, _cid, _idn = candidate()
    assert c.get("/me/").status_code == 200
    with c.http.session_transaction() as sess:
        sess["ss_seen"] -= 31 * 60
    resp = c.get("/me/")
    assert resp.status_code == 302 and resp.location.endswith("/me/login")


def copy_session(source, app):
    """Another client holding a copy of ``source``'s session cookie (a stolen cookie)."""
    thief = Client(app)
    thief.http.set_cookie("session", source.http.get_cookie("session").value)
    return thief


def test_password_change_ends_other_sessions(app, candidate):
    c, _cid, idn = candidate()
    thief = copy_session(c, app)
    assert thief.get("/me/").status_code == 200
    resp = c.post("/me/password", {"current": GOOD, "password": "green-hill-lake-77",
                                   "password2": "green-hill-lake-77"})
    assert resp.status_code == 302
    assert thief.get("/me/").status_code == 302
    assert c.get("/me/").status_code == 200


def test_a_new_login_ends_the_older_session(app, candidate):
    c, _cid, idn = candidate()
    other = Client(app)
    assert me_login(other, idn).status_code == 302
    assert other.get("/me/").status_code == 200
    assert c.get("/me/").status_code == 302  # one session per account


def test_logout_ends_the_session_on_the_server(app, candidate):
    c, _cid, _idn = candidate()
    thief = copy_session(c, app)
    assert thief.get("/me/info").status_code == 200
    assert c.post("/me/logout").status_code == 302
    assert thief.get("/me/").status_code == 302  # the copied cookie is dead too
    assert thief.get("/me/info").location.endswith("/me/login")


def test_session_has_an_absolute_lifetime(app, candidate):
    c, _cid, _idn = candidate()
    with c.http.session_transaction() as sess:
        sess["ss_start"] -= 8 * 3600 + 1  # active all along (ss_seen is recent)
    resp = c.get("/me/")
    assert resp.status_code == 302 and resp.location.endswith("/me/login")


# --- isolation --------------------------------------------------------------------------------


def test_candidate_cannot_read_or_change_another_candidates_data(app, candidate):
    a, a_id, _ = candidate()
    b, b_id, _ = candidate(name="别人考生")
    with app.app_context():
        b_guardian = db.session.execute(select(Guardian.id).where(Guardian.candidate_id == b_id)).scalar()
        b_study = db.session.execute(select(StudyHistory.id).where(StudyHistory.candidate_id == b_id)).scalar()
    form = {"name": "冒名家长", "relation": "52", "phone": "13700000000"}
    assert a.post(f"/me/guardians/{b_guardian}", form).status_code == 404
    assert a.post(f"/me/guardians/{b_guardian}/delete").status_code == 404
    assert a.post(f"/me/studies/{b_study}", {"start": "2020-09", "school": "冒名"}).status_code == 404
    assert a.post(f"/me/studies/{b_study}/delete").status_code == 404
    # ids smuggled into forms are ignored: the session decides whose record changes
    a.post("/me/info/contact", {"phone": "13711112222", "candidate_id": b_id, "id": b_id})
    with app.app_context():
        b_cand = db.session.get(Candidate, b_id)
        assert [g.name for g in b_cand.guardians] == ["自助家长"] and len(b_cand.studies) == 1
        assert b_cand.phone == "13800001111"
        assert db.session.get(Candidate, a_id).phone == "13711112222"
    for url in ("/me/", "/me/info", "/me/photo"):
        assert "别人考生" not in text(a.get(url))
    assert a.get("/me/photo/file").status_code == 404  # only its own (none yet)


# --- editing, phase, lock, confirmation ------------------------------------------------------


def test_candidate_edits_guardians_studies_and_contact(app, candidate):
    c, cid, _ = candidate(guardian=False)
    assert c.post("/me/guardians", {"name": "王建国", "relation": "51",
                                    "phone": "139 0000 3333"}).status_code == 302
    resp = c.post("/me/guardians", {"name": "Bob", "relation": "00"})
    assert resp.status_code == 400 and "请选择" in text(resp) or "汉字" in text(resp)
    resp = c.post("/me/info/contact", {"phone": "12345"})
    assert resp.status_code == 400 and "手机" in text(resp)
    assert c.post("/me/studies", {"start": "2020-09", "end": "2023-07",
                                  "school": "建设路小学", "role": "班长"}).status_code == 302
    assert c.post("/me/studies", {"start": "2023-09", "end": "2020-07",
                                  "school": "倒序"}).status_code == 400
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        [gd] = cand.guardians
        assert gd.phone == "13900003333" and len(cand.studies) == 2
        gid = gd.id
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_guardian", AuditLog.action == "insert",
            AuditLog.username == f"candidate:{cid}")).scalar_one()
        assert audit.changes["name"] == [None, "王建国"]
        assert audit.node_path.endswith("/41010201/")
    assert c.post(f"/me/guardians/{gid}", {"name": "王建设", "relation": "51"}).status_code == 302
    assert c.post(f"/me/guardians/{gid}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Candidate, cid).guardians == []


def test_edits_outside_the_window_or_when_locked_are_refused(app, candidate, window):
    c, cid, _ = candidate()
    window("self_registration", *PAST)
    resp = c.post("/me/info/contact", {"phone": "13722223333"})
    assert resp.status_code == 403 and "2026-03-25 17:00" in text(resp)
    assert c.post("/me/guardians", {"name": "李四海", "relation": "52"}).status_code == 403
    assert "2026-03-25 17:00" in text(c.get("/me/"))
    c.post("/me/confirm", {"version": 1})
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.phone == "13800001111" and len(cand.guardians) == 1
        assert cand.state == "draft"
    window("self_registration", dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.locked = True
        db.session.commit()
    resp = c.post("/me/info/contact", {"phone": "13722223333"})
    assert resp.status_code == 403 and "解锁后才能修改" in text(resp)
    with app.app_context():
        assert db.session.get(Candidate, cid).phone == "13800001111"
        cand = db.session.get(Candidate, cid)
        cand.locked = False
        db.session.commit()


def test_countdown_shows_the_end_of_the_window(app, candidate, window):
    c, _cid, _ = candidate()
    window("self_registration", dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1, 17))
    page = text(c.get("/me/"))
    assert "2099-01-01 17:00" in page and 'id="countdown"' in page


def test_confirmation_changes_the_state(app, candidate):
    c, cid, _ = candidate(guardian=False)
    c.post("/me/confirm", {"version": 1})
    assert "至少" in text(c.get("/me/"))  # a guardian is missing
    c.post("/me/guardians", {"name": "王建国", "relation": "51"})
    with app.app_context():
        version = db.session.get(Candidate, cid).version
    assert c.get("/me/forms/registration.pdf").status_code == 404  # not before confirming
    resp = c.post("/me/confirm", {"version": version}, follow_redirects=True)
    assert "已确认" in text(resp)
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.state == "confirmed"
    # confirmed: no more changes here
    resp = c.post("/me/info/contact", {"phone": "13733334444"})
    assert resp.status_code == 403
    pdf = c.get("/me/forms/registration.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert c.get("/me/forms/ticket.pdf").status_code == 404
    assert c.get("/me/forms/publicity.pdf").status_code == 404
    with app.app_context():
        printed = db.session.execute(select(AuditLog).where(
            AuditLog.action == "print", AuditLog.row_id == cid)).scalars().first()
        # the candidate's own print keeps the address it came from
        assert printed is not None and printed.ip == "127.0.0.1"


def test_an_approved_record_is_explained_in_the_candidates_words(app, candidate):
    c, cid, _ = candidate()
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.state = "school_approved"
        db.session.commit()
    resp = c.post("/me/info/contact", {"phone": "13733334444"})
    page = text(resp)
    # The candidate is told the state and whom to contact, not the staff-side rule.
    assert resp.status_code == 403 and "状态为“学校/报名点已审核”，不能在此修改" in page
    assert "审核人员填写理由退回" not in page
    with app.app_context():
        assert db.session.get(Candidate, cid).phone == "13800001111"


def test_stale_version_is_reported(app, candidate):
    c, cid, _ = candidate()
    resp = c.post("/me/confirm", {"version": 999}, follow_redirects=True)
    with app.app_context():
        assert db.session.get(Candidate, cid).state == "draft"
    assert "其他人" in text(resp) or "别人" in text(resp) or "他人" in text(resp)


# --- staff codes --------------------------------------------------------------------------------


def test_staff_reset_issues_a_new_code_and_the_old_one_stops_working(app, staff, client):
    cid, idn = self_service_candidate(app)
    first = issue(staff, cid)
    second = issue(staff, cid)
    assert first != second
    assert activate(client, idn, first).status_code == 401
    assert activate(client, idn, second).status_code == 302
    # the account may be compromised: the school resets it with a third code, which ends
    # the old password and the open session at once
    assert client.get("/me/").status_code == 200
    staff.refresh_token(f"/activation/{cid}")
    slip = text(staff.post(f"/activation/{cid}"))
    third = re.search(r'data-code="([A-Z0-9]{8})"', slip).group(1)
    assert 'id="reset-note"' in slip and "旧密码" in slip
    assert client.get("/me/").status_code == 302
    assert me_login(Client(app), idn).status_code == 401
    other = Client(app)
    assert activate(other, idn, third, "yellow-sand-dune-31").status_code == 302
    assert me_login(Client(app), idn, "yellow-sand-dune-31").status_code == 302
    with app.app_context():
        events = db.session.execute(select(AuditLog).where(
            AuditLog.action == "activation", AuditLog.row_id == cid)
            .order_by(AuditLog.id)).scalars().all()
        assert len(events) == 3 and all(e.username == "zy_school" for e in events)
        assert [e.changes["reset"] for e in events] == [False, True, True]
        assert all(e.changes["event"] == "activation_code" for e in events)
        assert not any(code in str(e.changes) for e in events for code in (first, second, third))


def test_staff_of_another_county_get_404(app, login):
    cid, _ = self_service_candidate(app)
    other = login("eq_school")
    assert other.get(f"/activation/{cid}").status_code == 404
    other.refresh_token("/candidateview/list/")
    assert other.post(f"/activation/{cid}").status_code == 404
    assert account(app, cid) is None


def test_staff_page_shows_account_state_without_secrets(app, staff):
    cid, _ = self_service_candidate(app)
    assert "尚未开通" in text(staff.get(f"/activation/{cid}")) or "没有" in text(staff.get(f"/activation/{cid}"))
    code = issue(staff, cid)
    page = text(staff.get(f"/activation/{cid}"))
    assert code not in page


def test_forgot_password_with_recovery_answer(app, candidate):
    _c, _cid, idn = candidate()
    c = Client(app)
    c.refresh_token("/me/recover")
    page = text(c.post("/me/recover", {"id_number": idn}))
    assert "我的小学校名" in page
    form = {"step": "reset", "id_number": idn, "password": "purple-moon-rain-5",
            "password2": "purple-moon-rain-5"}
    assert c.post("/me/recover", {**form, "answer": "错误答案"}).status_code == 401
    assert c.post("/me/recover", {**form, "answer": " 建设路小学 ",
                                  "password": "password1", "password2": "password1"}).status_code == 400
    assert c.post("/me/recover", {**form, "answer": " 建设路小学 "}).status_code == 302
    assert me_login(Client(app), idn).status_code == 401
    assert me_login(Client(app), idn, "purple-moon-rain-5").status_code == 302


def test_photo_page_and_invalid_upload(app, candidate):
    c, _cid, _ = candidate()
    assert 'type="file"' in text(c.get("/me/photo"))
    resp = c.post("/me/photo", {"file": (io.BytesIO(b"not an image"), "x.jpg")},
                  content_type="multipart/form-data")
    assert resp.status_code == 422


def test_posts_without_csrf_token_are_refused(app, candidate):
    c, cid, idn = candidate()
    assert c.post("/me/info/contact", {"phone": "13755556666", "csrf_token": ""}).status_code == 400
    assert Client(app).http.post("/me/login", data={"id_number": idn,
                                                    "password": GOOD}).status_code == 400
    with app.app_context():
        assert db.session.get(Candidate, cid).phone == "13800001111"


# --- password rules, login by 考生号, recovery, password page ------------------------------


@pytest.mark.parametrize("password", ["qwer1234", "12345678a", "abcdefgh", "1qaz2wsx3edc",
                                      "password1", "woaini1314", "gaokao2026"])
def test_common_and_patterned_passwords_are_refused(password):
    from app.passwords import password_problems

    assert password_problems(password), password


def test_passwords_derived_from_a_short_chinese_name_are_refused():
    from app.passwords import name_variants, password_problems

    personal = name_variants("王芳")
    assert {"王芳", "wangfang", "fangwang"} <= set(personal)
    for password in ("王芳abc12345", "Wangfang-Lake-77", "lake-fangwang-77"):
        assert password_problems(password, personal), password
    assert password_problems("blue-river-stone-42", personal) == []
    assert password_problems("blue-river-stone-42") == []
    assert "lvbu" in name_variants("吕布") and "lubu" in name_variants("吕布")


def test_activation_refuses_a_password_with_the_two_character_name(app, staff, client):
    cid, idn = self_service_candidate(app, name="王芳")
    code = issue(staff, cid)
    for password in ("王芳abc12345", "wangfang-river-9"):
        resp = activate(client, idn, code, password)
        assert resp.status_code == 400 and "姓名" in text(resp), password
    resp = activate(client, idn, code, "qwer1234")
    assert resp.status_code == 400 and "容易被猜到" in text(resp)
    assert account(app, cid).password_hash is None
    assert activate(client, idn, code).status_code == 302


def test_login_with_the_candidate_number(app, candidate):
    c, cid, idn = candidate(candidate_number="26410102970001")
    c.post("/me/logout")
    resp = me_login(Client(app), " 26410102970001 ", "wrong-password-9")
    assert resp.status_code == 401 and "身份证号/考生号或密码错误" in text(resp)
    assert "证件号码/考生号/用户名" in text(Client(app).get("/me/login"))  # signup: user names too
    other = Client(app)
    assert me_login(other, "26410102970001").status_code == 302
    assert "自助考生" in text(other.get("/me/"))
    assert me_login(Client(app), idn).status_code == 302  # the ID number still works


def test_recovery_does_not_tell_whether_an_account_exists(app, candidate):
    _c, _cid, idn = candidate()
    unknown = make_id_number("410102", BIRTH, 995)
    pages = {}
    for number in (idn, unknown):
        c = Client(app)
        c.refresh_token("/me/recover")
        first = c.post("/me/recover", {"id_number": number})
        again = c.post("/me/recover", {"id_number": number})
        question = re.search(r'id="question">([^<]+)<', text(first)).group(1)
        assert first.status_code == again.status_code == 200
        assert question in text(again)  # the same question every time
        wrong = c.post("/me/recover", {"step": "reset", "id_number": number, "answer": "不对",
                                       "password": "purple-moon-rain-5",
                                       "password2": "purple-moon-rain-5"})
        error = re.search(r'id="error">([^<]+)<', text(wrong)).group(1)
        pages[number] = (first.status_code, wrong.status_code, error)
    assert pages[idn] == pages[unknown]
    assert pages[unknown][1] == 401


def test_wrong_current_passwords_count_toward_the_lock(app, candidate):
    c, cid, idn = candidate()
    form = {"current": "not-my-password", "password": "green-hill-lake-77",
            "password2": "green-hill-lake-77"}
    for _ in range(4):
        resp = c.post("/me/password", form)
        assert resp.status_code == 400 and "当前密码" in text(resp)
    resp = c.post("/me/password", form)
    assert resp.status_code == 302 and resp.location.endswith("/me/login")
    assert c.get("/me/").status_code == 302  # the session ended with the lock
    with app.app_context():
        acc = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one()
        assert acc.locked_until > dt.datetime.now()
    assert me_login(Client(app), idn).status_code == 401  # right password, locked
    with app.app_context():
        acc = db.session.get(CandidateAccount, acc.id)
        acc.locked_until = None
        db.session.commit()


def test_password_posts_share_the_address_limit(app, candidate, tmp_path, database_url):
    from app import create_app

    _c, _cid, idn = candidate()
    limited = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                     SELF_SERVICE_RATE_LIMIT="3 per minute",
                                     RATELIMIT_STORAGE_URI="memory://"))
    c = Client(limited)
    assert me_login(c, idn).status_code == 302  # 1
    form = {"current": "not-my-password", "password": "x", "password2": "x"}
    assert c.post("/me/password", form).status_code == 400  # 2
    assert c.post("/me/password", form).status_code == 400  # 3
    assert c.post("/me/password", form).status_code == 429
    assert me_login(Client(limited), idn).status_code == 429
    with limited.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_default_address_limit_is_generous():
    import config

    assert config.SELF_SERVICE_RATE_LIMIT == "60 per minute"
    assert config.SELF_SERVICE_MAX_HOURS == 8


# --- admission ticket --------------------------------------------------------------------------


def test_ticket_download_follows_the_ticket_print_window(app, candidate, phase):
    from app.printing.models import AdmissionTicket

    c, cid, _ = candidate()
    assert c.get("/me/forms/ticket.pdf").status_code == 404  # not issued yet
    with app.app_context():
        db.session.add(AdmissionTicket(candidate_id=cid, ticket_number=f"2641010201{cid:05d}",
                                       site="郑州市第五十七中学考点", room="012", seat="18"))
        db.session.commit()
    phase("ticket_print", dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
    assert 'href="/me/forms/ticket.pdf"' in text(c.get("/me/"))
    pdf = c.get("/me/forms/ticket.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        logged = db.session.execute(select(AuditLog).where(
            AuditLog.action == "print", AuditLog.row_id == cid)).scalars().all()
        assert [e.changes["kind"] for e in logged] == ["ticket"]
    phase("ticket_print", *PAST)
    page = text(c.get("/me/"))
    assert 'href="/me/forms/ticket.pdf"' not in page and "2026-03-25 17:00" in page
    resp = c.get("/me/forms/ticket.pdf", follow_redirects=True)
    assert resp.status_code == 200 and "2026-03-25 17:00" in text(resp)
    assert not text(resp).startswith("%PDF")


# --- staff: accounts of a unit, slips for a class ------------------------------------------------


def test_staff_accounts_page_and_class_slips(app, staff, candidate, ids, login):
    klass = "九年级（9）班"
    _c, active_id, _ = candidate(class_name=klass, name="账号已开")
    pending_id, _ = self_service_candidate(app, class_name=klass, name="账号待开")
    issue(staff, pending_id)
    none_id, none_idn = self_service_candidate(app, class_name=klass, name="账号未开")
    with app.app_context():
        exam_id = db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
    unit = ids.node("41010201")
    query = f"/accounts/?node_id={unit}&exam_id={exam_id}&class_name={klass}"
    page = text(staff.get(query))
    states = dict(re.findall(r'data-candidate="(\d+)" data-state="(\w+)"', page))
    assert states == {str(active_id): "active", str(pending_id): "pending", str(none_id): "not_issued"}
    assert "/accounts/" in text(staff.get("/"))  # in the menu
    staff.refresh_token(query)
    slips = text(staff.post("/accounts/slips", {"node_id": unit, "exam_id": exam_id,
                                                "class_name": klass}))
    codes = dict(re.findall(r'id="slip-(\d+)".*?data-code="([A-Z0-9]{8})"', slips, re.S))
    assert list(codes) == [str(none_id)]  # active accounts and unexpired codes untouched
    assert activate(Client(app), none_idn, codes[str(none_id)]).status_code == 302
    with app.app_context():
        event = db.session.execute(select(AuditLog).where(
            AuditLog.action == "activation", AuditLog.row_id == none_id)).scalar_one()
        assert event.changes["batch"] is True and event.username == "zy_school"
    # nothing left to issue for the class: back to the list with a message
    resp = staff.post("/accounts/slips", {"node_id": unit, "exam_id": exam_id,
                                          "class_name": klass}, follow_redirects=True)
    assert "均已开通账号" in text(resp)
    # another county's staff see their own unit, never this one's candidates
    other = login("eq_school")
    assert other.get(query).status_code == 404
    assert "账号已开" not in text(other.get("/accounts/"))
    other.refresh_token("/accounts/")
    assert other.post("/accounts/slips", {"node_id": unit, "exam_id": exam_id,
                                          "class_name": klass}).status_code == 404
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(
            AuditLog.action == "activation", AuditLog.username == "eq_school")).first() is None
    # reviewers have no access
    reviewer = login("zy_school_reviewer")
    assert reviewer.get(query).status_code == 403


def test_locked_accounts_show_as_locked(app, staff, candidate, ids):
    _c, cid, _ = candidate(class_name="九年级（8）班")
    with app.app_context():
        acc = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one()
        acc.locked_until = dt.datetime.now() + dt.timedelta(minutes=10)
        db.session.commit()
    with app.app_context():
        exam_id = db.session.execute(select(Candidate.exam_id).where(Candidate.id == cid)).scalar()
    page = text(staff.get(f"/accounts/?node_id={ids.node('41010201')}&exam_id={exam_id}"
                          "&class_name=九年级（8）班"))
    assert f'data-candidate="{cid}" data-state="locked"' in page
    assert "锁定" in text(staff.get(f"/activation/{cid}"))
