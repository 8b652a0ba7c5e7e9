"""Candidate self-service (/me/) through HTTP: activation, password rules, throttling,
isolation between candidates and from staff, phase and lock, confirmation, staff codes."""
import datetime as dt
import io
import itertools
import re

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate, Guardian, StudyHistory
from app.candidates.validators import make_id_number
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseExtension
from app.selfservice.models import CandidateAccount
from app.selfservice.views import _WINDOWS
from conftest import Client, make_config

GOOD = "blue-river-stone-42"
PAST = (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 25, 17))
BIRTH = dt.date(2011, 6, 1)
_seq = itertools.count(501, 2)


def text(resp):
    return resp.get_data(as_text=True)


def new_candidate(app, school="41010201", name="自助考生", guardian=True, **extra):
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=BIRTH,
                         id_number=make_id_number(school[:6], BIRTH, next(_seq)), category="01",
                         phone="13800001111", **extra)
        if guardian:
            cand.guardians.append(Guardian(name="自助家长", relation="51", phone="13900002222"))
        cand.studies.append(StudyHistory(start=dt.date(2023, 9, 1), school="第五十七中学"))
        db.session.add(cand)
        db.session.commit()
        return cand.id, cand.id_number


def issue(staff, cid):
    staff.refresh_token(f"/activation/{cid}")
    resp = staff.post(f"/activation/{cid}")
    assert resp.status_code == 200, resp.status_code
    return re.search(r'data-code="([A-Z0-9]{8})"', text(resp)).group(1)


def activate(client, id_number, code, password=GOOD, password2=None, question="我的小学校名",
             answer="建设路小学"):
    client.refresh_token("/me/activate")
    return client.post("/me/activate", {
        "id_number": id_number, "code": code, "password": password,
        "password2": password if password2 is None else password2,
        "question": question, "answer": answer})


def me_login(client, id_number, password=GOOD):
    client.refresh_token("/me/login")
    resp = client.post("/me/login", {"id_number": id_number, "password": password})
    client.refresh_token("/me/")
    return resp


def account(app, cid):
    with app.app_context():
        return db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cid)).scalar_one_or_none()


@pytest.fixture
def staff(login):
    return login("zy_school")


@pytest.fixture
def candidate(app, staff):
    """A fresh candidate with an activated account; returns (client, cid, id_number)."""

    def make(**extra):
        cid, idn = new_candidate(app, **extra)
        c = Client(app)
        resp = activate(c, idn, issue(staff, cid))
        assert resp.status_code == 302 and resp.location.endswith("/me/"), text(resp)
        c.refresh_token("/me/")
        return c, cid, idn

    return make


@pytest.fixture
def window(app):
    """Set the 2026 中招 self-registration window; restores it afterwards."""
    saved = {}

    def set_window(activity, start, end):
        with app.app_context():
            phase = db.session.execute(select(Phase).join(Exam).where(
                Exam.year == 2026, Exam.kind == ZHONGZHAO, Phase.activity == activity)).scalar_one()
            saved.setdefault(phase.id, (phase.start, phase.end))
            phase.start, phase.end = start, end
            db.session.commit()
        _WINDOWS.clear()  # the status page keeps windows for a few seconds per process

    yield set_window
    with app.app_context():
        for pid, (start, end) in saved.items():
            phase = db.session.get(Phase, pid)
            phase.start, phase.end = start, end
        db.session.execute(PhaseExtension.__table__.delete())
        db.session.commit()
    _WINDOWS.clear()


# --- activation and passwords ----------------------------------------------------------------


def test_activation_sets_own_password_and_refuses_weak_ones(app, staff, client):
    cid, idn = new_candidate(app, name="欧阳晓明")
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
    assert "8" in page and "密码" in page  # the rule is explained in Chinese
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
    cid, idn = new_candidate(app)
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
    cid, idn = new_candidate(app)
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
        assert resp.status_code in (302, 401, 403), url
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


def test_password_change_ends_other_sessions(app, candidate):
    c, _cid, idn = candidate()
    other = Client(app)
    me_login(other, idn)
    assert other.get("/me/").status_code == 200
    resp = c.post("/me/password", {"current": GOOD, "password": "green-hill-lake-77",
                                   "password2": "green-hill-lake-77"})
    assert resp.status_code == 302
    assert other.get("/me/").status_code == 302
    assert c.get("/me/").status_code == 200


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
    assert resp.status_code == 403 and "锁定" in text(resp)
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
        assert db.session.execute(select(AuditLog).where(
            AuditLog.action == "print", AuditLog.row_id == cid)).scalars().first() is not None


def test_stale_version_is_reported(app, candidate):
    c, cid, _ = candidate()
    resp = c.post("/me/confirm", {"version": 999}, follow_redirects=True)
    with app.app_context():
        assert db.session.get(Candidate, cid).state == "draft"
    assert "其他人" in text(resp) or "别人" in text(resp) or "他人" in text(resp)


# --- staff codes --------------------------------------------------------------------------------


def test_staff_reset_issues_a_new_code_and_the_old_one_stops_working(app, staff, client):
    cid, idn = new_candidate(app)
    first = issue(staff, cid)
    second = issue(staff, cid)
    assert first != second
    assert activate(client, idn, first).status_code == 401
    assert activate(client, idn, second).status_code == 302
    # the candidate forgot the password: the school resets with a third code
    third = issue(staff, cid)
    me_login(client, idn)
    assert client.get("/me/").status_code == 200  # old password still works until the new code is used
    other = Client(app)
    assert activate(other, idn, third, "yellow-sand-dune-31").status_code == 302
    assert me_login(Client(app), idn).status_code == 401
    assert client.get("/me/").status_code == 302  # the old session ended with the old password
    with app.app_context():
        events = db.session.execute(select(AuditLog).where(
            AuditLog.action == "activation", AuditLog.row_id == cid)
            .order_by(AuditLog.id)).scalars().all()
        assert len(events) == 3 and all(e.username == "zy_school" for e in events)
        assert [e.changes["reset"] for e in events] == [False, True, True]
        assert all(e.changes["event"] == "activation_code" for e in events)
        assert not any(code in str(e.changes) for e in events for code in (first, second, third))


def test_staff_of_another_county_get_404(app, login):
    cid, _ = new_candidate(app)
    other = login("eq_school")
    assert other.get(f"/activation/{cid}").status_code == 404
    other.refresh_token("/candidateview/list/")
    assert other.post(f"/activation/{cid}").status_code == 404
    assert account(app, cid) is None


def test_staff_page_shows_account_state_without_secrets(app, staff):
    cid, _ = new_candidate(app)
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
    assert "照片" in text(c.get("/me/photo"))
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
