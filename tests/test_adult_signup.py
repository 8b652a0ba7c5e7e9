"""成人高考 public sign-up (issue 18.1, /me/signup) through HTTP: the record, the account and the
log-in made at once; log-in and recovery by user name; every refusal (window, 户籍-local days,
number or user name taken, picture code, hidden field, weak password, bad input); the
per-address limit; the record editable until confirmed, frozen after."""
import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import delete, select

from adult_support import BASIC_INFO
from app.adult.pledge import PLEDGE_VERSION
from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT
from app.exams.models import Exam
from app.exams.notices import Notice
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseRegion
from app.phases.rules import now_local
from app.selfservice import challenge
from app.selfservice.models import CandidateAccount
from app.selfservice.views import _WINDOWS
from conftest import Client
from factories import unused_id_number
from helpers import GOOD, OPEN, PAST, PREFERENCE_FORM, exam_id, me_login, node_id, text
from test_zh_menu_pages import english_words

pytestmark = pytest.mark.usefixtures("fresh_address_limit")
CODE = "K7M3P"
BIRTH = dt.date(1990, 5, 6)
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def known_code(monkeypatch):
    """Every picture code of this module reads CODE."""
    monkeypatch.setattr(challenge, "new_answer", lambda: CODE)


@pytest.fixture
def open_window(phase):
    phase("self_registration", *OPEN, kind=ADULT)


@pytest.fixture
def adult_id(app):
    return exam_id(app, ADULT)


@pytest.fixture
def extra_phases(app):
    """extra_phases(rows): add self-registration windows to the 2026 成人高考 ((name, start,
    end, hukou_local, region codes)); removed afterwards."""
    made = []

    def add(*rows):
        with app.app_context():
            eid = exam_id(app, ADULT)
            for name, start, end, hukou_local, regions in rows:
                row = Phase(exam_id=eid, activity="self_registration", name=name, start=start,
                            end=end, hukou_local=hukou_local)
                row.regions = [PhaseRegion(node=db.session.execute(select(Node).where(
                    Node.code == code)).scalar_one()) for code in regions]
                db.session.add(row)
                db.session.flush()
                made.append(row.id)
            db.session.commit()
        _WINDOWS.clear()

    yield add
    with app.app_context():
        db.session.execute(delete(Phase).where(Phase.id.in_(made)))
        db.session.commit()
    _WINDOWS.clear()


def new_number(app, birth=BIRTH, region="410102"):
    with app.app_context():
        return unused_id_number(region, birth)


def form(app, **over):
    """A complete sign-up form (a new user name and ID number each time) with ``over``."""
    n = next(_n)
    values = {
        "notices_read": "1", "pledge": PLEDGE_VERSION, "username": f"ks_user{n}",
        "password": GOOD, "password2": GOOD, "question": "我的小学校名", "answer": "建设路小学",
        "phone": "13712345678", "id_type": "1", "id_number": new_number(app), "name": "网报考生",
        "gender": "", "birth_date": "", "hukou": "410102",
        "county_id": node_id(app, "410102"), "challenge": CODE.lower(), "website": ""}
    values.update(over)
    return values


def address():
    n = next(_n)
    return f"10.{n // 250 % 250}.{n % 250}.7"


def post(client, eid, values, ip=None, fresh_code=True):
    """Open the page (a new picture code with it, as the browser loads the picture), then
    post ``values`` from ``ip``."""
    client.refresh_token(f"/me/signup/{eid}")
    if client.token is None:  # a page without the form (closed, 404)
        client.refresh_token("/me/login")
    if fresh_code:
        assert client.get("/me/signup/challenge.png").status_code == 200
    return client.post(f"/me/signup/{eid}", values,
                       environ_base={"REMOTE_ADDR": ip or address()})


def record(app, id_number):
    with app.app_context():
        cand = db.session.execute(select(Candidate).where(
            Candidate.id_number == id_number)).scalar_one_or_none()
        if cand is None:
            return None
        account = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == cand.id)).scalar_one()
        return dict(id=cand.id, exam=cand.exam_id, node=cand.node.code, state=cand.state,
                    name=cand.name, gender=cand.gender, birth=cand.birth_date,
                    hukou=cand.hukou, phone=cand.phone, id_type=cand.id_type,
                    username=account.username, active=account.password_hash is not None)


def count(app):
    with app.app_context():
        return db.session.execute(select(Candidate.id).where(
            Candidate.exam_id == exam_id(app, ADULT))).all().__len__()


# --- the sign-up ------------------------------------------------------------------------------


def test_signup_creates_the_record_logs_in_and_logs_in_again(app, open_window, adult_id):
    with app.app_context():
        province = db.session.execute(select(Node).where(Node.code == "410000")).scalar_one()
        county = db.session.execute(select(Node).where(Node.code == "410103")).scalar_one()
        db.session.add_all([
            Notice(exam_id=adult_id, node=province, title="全省成人高考报考须知",
                   body="考生须如实填报。\n\n网上报名后须现场确认。", published=True,
                   published_on=dt.datetime.now()),
            Notice(exam_id=adult_id, node=county, title="二七区补充公告", body="区内说明",
                   published=True, published_on=dt.datetime.now())])
        db.session.commit()
        notice_id = db.session.execute(select(Notice.id).where(
            Notice.title == "全省成人高考报考须知")).scalar_one()
    c = Client(app)
    assert c.get("/me/signup").location.endswith(f"/me/signup/{adult_id}")  # the one open exam
    page = text(c.get(f"/me/signup/{adult_id}"))
    assert "全省成人高考报考须知" in page and "网上报名后须现场确认" in page
    assert "二七区补充公告" not in page  # a county's notice: on /me/notices
    assert "诚信考试承诺书" in page and f'value="{PLEDGE_VERSION}"' in page
    for name in ("notices_read", "pledge", "username", "password", "password2", "question",
                 "answer", "phone", "id_type", "id_number", "name", "gender", "birth_date",
                 "hukou", "county_id", "challenge", "website"):
        assert f'name="{name}"' in page, name
    values = form(app, username="Wang_Fang88", challenge="ｋ７ｍ３ｐ")  # full-width, lower
    resp = post(c, adult_id, values)
    assert resp.status_code == 302 and resp.location.endswith("/me/"), text(resp)[-1500:]
    row = record(app, values["id_number"])
    assert row["exam"] == adult_id and row["node"] == "410102" and row["state"] == "draft"
    assert (row["gender"], row["birth"], row["hukou"]) == ("1" if int(
        values["id_number"][16]) % 2 else "2", BIRTH, "410102")
    assert row["username"] == "wang_fang88" and row["active"]
    status = text(c.get("/me/"))
    assert "网报考生" in status and "/me/preferences" in status and "/me/point" in status
    with app.app_context():
        events = {e.action: e for e in db.session.execute(select(AuditLog).where(
            AuditLog.candidate_id == row["id"])).scalars()}
        assert events["pledge"].changes["version"] == PLEDGE_VERSION
        assert notice_id in events["notices"].changes["notices"]  # and the demo's
        assert events["insert"].username == f"candidate:{row['id']}"
        assert {e.username for e in events.values()} == {f"candidate:{row['id']}"}
    c.post("/me/logout")
    assert me_login(Client(app), "WANG_FANG88").status_code == 302  # any letter case
    assert me_login(Client(app), values["id_number"]).status_code == 302
    assert me_login(Client(app), "wang_fang88", "not-the-password-9").status_code == 401
    assert "证件号码/考生号/用户名" in text(Client(app).get("/me/login"))


def test_recovery_by_user_name(app, open_window, adult_id):
    values = form(app, username="li_recover")
    assert post(Client(app), adult_id, values).status_code == 302
    c = Client(app)
    c.refresh_token("/me/recover")
    page = text(c.post("/me/recover", {"id_number": "Li_Recover"}))
    assert "我的小学校名" in page and "证件号码/考生号/用户名" in text(c.get("/me/recover"))
    new = "green-valley-cloud-77"
    resp = c.post("/me/recover", {"id_number": "li_recover", "step": "reset",
                                  "answer": "建设路小学", "password": new, "password2": new})
    assert resp.status_code == 302
    assert me_login(Client(app), "li_recover", new).status_code == 302
    assert me_login(Client(app), "li_recover", GOOD).status_code == 401


def test_login_page_links_the_signup_and_both_read_in_chinese(app, open_window, adult_id):
    c = Client(app)
    login = text(c.get("/me/login"))
    assert "网上报名（注册）" in login and "/me/signup" in login
    assert english_words(login) == set()
    assert english_words(text(c.get(f"/me/signup/{adult_id}"))) == set()
    values = form(app, name="", challenge="WRONG", password="x")
    assert english_words(text(post(c, adult_id, values))) == set()


def test_challenge_picture_is_a_fresh_png(app, open_window):
    resp = Client(app).get("/me/signup/challenge.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.data.startswith(b"\x89PNG") and "no-store" in resp.headers["Cache-Control"]


# --- refusals ---------------------------------------------------------------------------------


def test_closed_window_shows_no_form_and_refuses_posts(app, phase, adult_id):
    phase("self_registration", *PAST, kind=ADULT)
    c = Client(app)
    listing = c.get("/me/signup")
    assert listing.status_code == 200 and "网上报名尚未开放" in text(listing)
    page = text(c.get(f"/me/signup/{adult_id}"))
    assert 'id="closed"' in page and "2026-03-25 17:00" in page and 'name="username"' not in page
    values = form(app)
    resp = post(c, adult_id, values)
    assert resp.status_code == 403 and record(app, values["id_number"]) is None


def test_window_closed_for_the_chosen_county(app, phase, extra_phases, adult_id):
    """Open in 洛阳 only (a regional window), closed elsewhere."""
    phase("self_registration", *PAST, kind=ADULT)
    extra_phases(("洛阳市网上报名", *OPEN, None, ["410300"]))
    c = Client(app)
    values = form(app, name="外县考生")
    resp = post(c, adult_id, values)
    assert resp.status_code == 403 and "2026-03-25" in text(resp)
    page = text(resp)
    assert 'value="外县考生"' in page and values["id_number"] in page  # nothing lost
    assert GOOD not in page
    assert record(app, values["id_number"]) is None
    values["county_id"] = node_id(app, "410302")
    assert post(c, adult_id, values).status_code == 302
    assert record(app, values["id_number"])["node"] == "410302"


def test_hukou_local_days_refuse_other_hukou(app, open_window, extra_phases, adult_id):
    """郑州 admits local 户籍 only today, everyone from the day after tomorrow (seed 004)."""
    now = now_local()
    extra_phases(("郑州户籍考生", now - dt.timedelta(days=1), now + dt.timedelta(days=1), "city",
                  ["410100"]),
                 ("郑州所有考生", now + dt.timedelta(days=2), now + dt.timedelta(days=9), None,
                  ["410100"]))
    outsider = form(app, hukou="430102")
    resp = post(Client(app), adult_id, outsider)
    assert resp.status_code == 403 and "户籍" in text(resp) and "郑州市" in text(resp)
    assert record(app, outsider["id_number"]) is None
    local = form(app, hukou="410105")
    assert post(Client(app), adult_id, local).status_code == 302
    elsewhere = form(app, hukou="430102", county_id=node_id(app, "410302"))  # 洛阳: everyone
    assert post(Client(app), adult_id, elsewhere).status_code == 302


def test_a_number_already_registered_is_refused(app, open_window, adult_id):
    first = form(app)
    assert post(Client(app), adult_id, first).status_code == 302
    again = form(app, id_number=first["id_number"].lower(), name="再次报名")
    resp = post(Client(app), adult_id, again)
    page = text(resp)
    assert resp.status_code == 409 and "已经报名" in page and "找回密码" in page
    assert 'value="再次报名"' in page and GOOD not in page
    assert first["username"] not in page  # nothing about the existing record
    assert count_named(app, "再次报名") == 0


def count_named(app, name):
    with app.app_context():
        return len(db.session.execute(select(Candidate.id).where(
            Candidate.name == name)).all())


def test_a_user_name_taken_in_any_case_is_refused(app, open_window, adult_id):
    assert post(Client(app), adult_id, form(app, username="zhang_san")).status_code == 302
    values = form(app, username="ZHANG_San", name="张三丰")
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 409 and "用户名已被使用" in text(resp)
    assert record(app, values["id_number"]) is None
    assert 'value="zhang_san"' in text(resp) or 'value="ZHANG_San"' in text(resp)


@pytest.mark.parametrize("username", ["abc", "1abc", "ab-cd", "a" * 21, "张三李四",
                                      "h12345678", "e12345678", ""])
def test_bad_user_names_are_refused(app, open_window, adult_id, username):
    values = form(app, username=username)
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 400 and record(app, values["id_number"]) is None


def test_wrong_reused_and_expired_codes_are_refused(app, open_window, adult_id):
    c = Client(app)
    wrong = form(app, challenge="AAAAA")
    resp = post(c, adult_id, wrong)
    assert resp.status_code == 400 and "不一致" in text(resp)
    assert record(app, wrong["id_number"]) is None
    # A code is spent by any post: the next post without a new picture is refused ...
    values = form(app, name="")
    assert post(c, adult_id, values).status_code == 400  # spent on a form error
    values["name"] = "网报考生"
    resp = post(c, adult_id, values, fresh_code=False)
    assert resp.status_code == 400 and "已使用" in text(resp)
    # ... and so is the same cookie replayed with its solved code.
    c.refresh_token(f"/me/signup/{adult_id}")
    c.get("/me/signup/challenge.png")
    cookie = c.http.get_cookie("session").value
    assert c.post(f"/me/signup/{adult_id}", {**values, "name": ""}).status_code == 400
    c.http.set_cookie("session", cookie)
    resp = c.post(f"/me/signup/{adult_id}", values)
    assert resp.status_code == 400 and "已使用" in text(resp)
    assert record(app, values["id_number"]) is None


def test_expired_code_is_refused(app, open_window, adult_id, monkeypatch):
    monkeypatch.setitem(app.config, "SELF_SIGNUP_CHALLENGE_MINUTES", 0)
    values = form(app)
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 400 and "已过期" in text(resp)
    assert record(app, values["id_number"]) is None


def test_the_hidden_field_filled_reads_as_a_wrong_code(app, open_window, adult_id):
    values = form(app, website="http://spam.example")
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 400 and "不一致" in text(resp)
    assert record(app, values["id_number"]) is None


@pytest.mark.parametrize("password,why", [
    ("xk19900506mv", "birth date"), ("xk1990-05-06mv", "dashed birth date"),
    ("sunny_ks_wxyz42", "user name"), ("call13712345678x", "phone"), ("abc", "short")])
def test_weak_passwords_are_refused(app, open_window, adult_id, password, why):
    values = form(app, username="sunny_ks_wxyz", password=password, password2=password)
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 400, why
    assert record(app, values["id_number"]) is None
    if why != "short":
        assert "不得包含" in text(resp), why


def test_mainland_travel_permit_holder_types_gender_and_birth(app, open_window, adult_id):
    values = form(app, id_type="3", id_number="H12345678", gender="", birth_date="",
                  hukou="810000", name="陈嘉欣")
    resp = post(Client(app), adult_id, values)
    assert resp.status_code == 400
    page = text(resp)
    assert "请输入出生日期" in page and "请选择性别" in page
    values.update(gender="2", birth_date="1995-07-08")
    assert post(Client(app), adult_id, values).status_code == 302
    row = record(app, "H12345678")
    assert (row["id_type"], row["gender"], row["birth"], row["hukou"]) == (
        "3", "2", dt.date(1995, 7, 8), "810000")
    assert me_login(Client(app), "h12345678").status_code == 302


def test_typed_gender_and_birth_must_agree_with_the_id_number(app, open_window, adult_id):
    number = new_number(app)
    other = "2" if int(number[16]) % 2 else "1"
    resp = post(Client(app), adult_id, form(app, id_number=number, gender=other))
    assert resp.status_code == 400 and "性别" in text(resp)
    resp = post(Client(app), adult_id, form(app, id_number=number, birth_date="1990-05-07"))
    assert resp.status_code == 400 and "出生日期" in text(resp)
    ok = form(app, id_number=number, birth_date="1990-05-06",
              gender="1" if other == "2" else "2")
    assert post(Client(app), adult_id, ok).status_code == 302


@pytest.mark.parametrize("name", ["阿依古丽·买买提", "𠮷田", "阿依古丽•买买提"])
def test_minority_and_rare_character_names(app, open_window, adult_id, name):
    values = form(app, name=name)
    assert post(Client(app), adult_id, values).status_code == 302
    assert record(app, values["id_number"])["name"] == name.replace("•", "·")


def test_bad_input_never_500(app, open_window, adult_id):
    with app.app_context():
        hunan = Node(code="439900", name="测试省", kind="province", path="/439900/")
        city = Node(code="439901", name="测试市", kind="city", parent=hunan,
                    path="/439900/439901/")
        county = Node(code="439902", name="测试县", kind="county", parent=city,
                      path="/439900/439901/439902/")
        db.session.add_all([hunan, city, county])
        db.session.commit()
        foreign = county.id
    long = "长" * 400
    cases = {
        "long": {k: long for k in ("username", "password", "password2", "question", "answer",
                                   "phone", "id_type", "id_number", "name", "gender",
                                   "birth_date", "hukou", "county_id", "challenge")},
        "bad date": {"id_type": "3", "id_number": "M12345678", "gender": "1",
                     "birth_date": "2024-13-45"},
        "future date": {"id_type": "3", "id_number": "M12345679", "gender": "1",
                        "birth_date": "2090-01-01"},
        "no county": {"county_id": "999999"},
        "county id text": {"county_id": "中原区"},
        "county id digits": {"county_id": "²"},
        "another tree": {"county_id": foreign},
        "a school": {"county_id": node_id(app, "41010201")},
        "a point": {"county_id": node_id(app, "BM410102")},
        "bad gender": {"gender": "x"},
        "bad type": {"id_type": "9"},
        "bad hukou": {"hukou": "12"},
        "no pledge": {"pledge": ""},
        "old pledge": {"pledge": "2025-1"},
        "no notices": {"notices_read": ""},
        "mismatch": {"password2": GOOD + "x"},
        "control characters": {"question": "我的\x00问题"},
    }
    for why, over in cases.items():
        values = form(app, **over)
        resp = post(Client(app), adult_id, values)
        assert resp.status_code == 400, (why, resp.status_code)
        assert 'class="err"' in text(resp), why
    for bad in (exam_id(app), 999999):
        assert Client(app).get(f"/me/signup/{bad}").status_code == 404
        c = Client(app)
        c.refresh_token("/me/login")
        assert c.post(f"/me/signup/{bad}", form(app)).status_code == 404
    with app.app_context():
        old = db.session.execute(select(Exam.id).where(Exam.kind == ADULT,
                                                       Exam.active.is_(False))).scalar()
    assert old is None or Client(app).get(f"/me/signup/{old}").status_code == 404


def test_a_city_without_counties_may_be_chosen(app, open_window, adult_id):
    page = text(Client(app).get(f"/me/signup/{adult_id}"))
    jiyuan = node_id(app, "419001")
    assert f'<option value="{jiyuan}"' in page
    values = form(app, county_id=jiyuan, hukou="419001")
    assert post(Client(app), adult_id, values).status_code == 302
    assert record(app, values["id_number"])["node"] == "419001"


# --- automation limits --------------------------------------------------------------------------


def test_posts_per_address_are_limited(app, open_window, adult_id, monkeypatch):
    monkeypatch.setitem(app.config, "SELF_SIGNUP_RATE_LIMIT", "3 per hour")
    c = Client(app)
    for _ in range(3):
        assert post(c, adult_id, form(app, name=""), ip="10.99.0.1").status_code == 400
    values = form(app)
    resp = post(c, adult_id, values, ip="10.99.0.1")
    assert resp.status_code == 429 and "尝试次数过多" in text(resp)
    assert english_words(text(resp)) == set()
    assert record(app, values["id_number"]) is None
    assert post(c, adult_id, values, ip="10.99.0.2").status_code == 302  # another address
    assert c.get(f"/me/signup/{adult_id}").status_code == 200  # pages still load


@pytest.mark.parametrize("many", [2, 20])
def test_many_signups_in_a_row_from_different_addresses_all_land(app, open_window, adult_id,
                                                                 many):
    before = count(app)
    for i in range(many):
        c = Client(app)
        resp = post(c, adult_id, form(app), ip=f"10.{many}.{i // 200}.{i % 200 + 1}")
        assert resp.status_code == 302, (i, text(resp)[-800:])
    assert count(app) == before + many
    # Each got its own 考生号 (报名号) at once: 14 digits, year and county first, serials in
    # the order of the sign-ups.
    with app.app_context():
        numbers = db.session.execute(select(Candidate.candidate_number).where(
            Candidate.exam_id == adult_id).order_by(Candidate.id.desc()).limit(many)
        ).scalars().all()[::-1]
    assert all(n and len(n) == 14 and n.startswith("26410102") for n in numbers), numbers
    assert [int(n[8:]) for n in numbers] == list(range(int(numbers[0][8:]),
                                                       int(numbers[0][8:]) + many))


# --- editable until confirmed -------------------------------------------------------------------


def test_record_editable_until_confirmed_and_frozen_after(app, open_window, adult_id):
    c = Client(app)
    values = form(app, name="确认考生")
    assert post(c, adult_id, values).status_code == 302
    c.refresh_token("/me/")
    assert c.post("/me/preferences/1", PREFERENCE_FORM).status_code == 302
    assert c.post("/me/adult/info", BASIC_INFO).status_code == 302  # adultinfo's page
    assert c.post("/me/point", {"point_id": node_id(app, "BM410103")}).status_code == 302
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102")}).status_code == 302
    assert record(app, values["id_number"])["node"] == "BM410102"
    with app.app_context():
        version = db.session.execute(select(Candidate.version).where(
            Candidate.id_number == values["id_number"])).scalar_one()
    page = text(c.post("/me/confirm", {"version": version, "pledge": PLEDGE_VERSION},
                       follow_redirects=True))
    assert record(app, values["id_number"])["state"] == "confirmed", re.sub(r"\s+", " ", page)
    resp = c.post("/me/point", {"point_id": node_id(app, "BM410103")})
    assert resp.status_code == 403 and "不能在此修改" in text(resp)
    assert record(app, values["id_number"])["node"] == "BM410102"
