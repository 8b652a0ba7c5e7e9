"""Staff accounts through HTTP: revocable sessions, the per-account lock and its audited
unlock, personal password rules, the demo-data guard, security headers, request size and error
pages (issue 12, items 9–14)."""
import datetime as dt
import re
import time
from pathlib import Path

import pytest
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select, update

from app import create_app
from app.audit import AuditLog
from app.demo import DEMO_CANDIDATE_PASSWORD, DEMO_PASSWORD
from app.extensions import db
from app.passwords import PUBLISHED_PASSWORDS
from app.security import KsUser
from app.staff_sessions import StaffSession
from conftest import Client, make_config
from factories import make_user
from helpers import text

PASSWORD = "violet-harbour-lantern-93"
NEW_PASSWORD = "copper-meadow-whistle-58"
STAFF_PAGE = "/candidateview/list/"
ZY_SCHOOL, ZY_POINT = "41010201", "BM410102"


def new_staff(app, node_code=ZY_SCHOOL, role="school_staff"):
    """A staff user of this test's own (password PASSWORD); returns its username."""
    return make_user(app, node_code, role, password=PASSWORD)


def user_row(app, username):
    with app.app_context():
        user = db.session.execute(select(KsUser).where(KsUser.username == username)).scalar_one()
        db.session.expunge(user)
        return user


def logged_in(app, username, password=PASSWORD):
    c = Client(app)
    resp = c.login(username, password)
    assert resp.status_code == 302 and "/login" not in resp.location, username
    return c


def replay(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = Client(app)
    thief.http.set_cookie("session", client.http.get_cookie("session").value)
    return thief


def assert_logged_out(resp):
    assert resp.status_code == 302 and "/login/" in resp.location


# --- 9. sessions can be revoked ---------------------------------------------------------------


def test_copied_cookie_stops_working_after_logout(app):
    c = logged_in(app, new_staff(app))
    thief = replay(app, c)
    assert thief.get(STAFF_PAGE).status_code == 200
    c.get("/logout/")
    assert_logged_out(thief.get(STAFF_PAGE))


def test_admin_password_reset_ends_the_users_sessions(app, login):
    username = new_staff(app)
    victim = logged_in(app, username)
    thief = replay(app, victim)
    admin = login("zy_admin")
    url = f"/resetpassword/form?pk={user_row(app, username).id}"
    admin.refresh_token(url)
    resp = admin.post(url, {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert resp.status_code == 302
    assert_logged_out(thief.get(STAFF_PAGE))
    assert_logged_out(victim.get(STAFF_PAGE))
    logged_in(app, username, NEW_PASSWORD)


def test_own_password_change_ends_other_sessions_but_not_this_one(app):
    username = new_staff(app)
    c = logged_in(app, username)
    thief = replay(app, c)
    c.refresh_token("/resetmypassword/form")
    resp = c.post("/resetmypassword/form", {"password": NEW_PASSWORD,
                                            "conf_password": NEW_PASSWORD})
    assert resp.status_code == 302
    assert c.get(STAFF_PAGE).status_code == 200
    assert_logged_out(thief.get(STAFF_PAGE))


def _edit_active(admin, app, username, active):
    user = user_row(app, username)
    with app.app_context():
        role_id = db.session.execute(select(Role.id).where(Role.name == "school_staff")).scalar_one()
    admin.refresh_token(f"/users/edit/{user.id}")
    data = {"username": username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "node": user.node_id, "roles": role_id}
    if active:
        data["active"] = "y"
    resp = admin.post(f"/users/edit/{user.id}", data)
    assert resp.status_code == 302, text(resp)
    assert user_row(app, username).active is active


def test_deactivation_ends_sessions_for_good(app, login):
    username = new_staff(app)
    thief = replay(app, logged_in(app, username))
    admin = login("zy_admin")
    _edit_active(admin, app, username, False)
    assert_logged_out(thief.get(STAFF_PAGE))
    # Reactivated later, the old cookie stays dead: the session was revoked, not suspended.
    _edit_active(admin, app, username, True)
    assert_logged_out(thief.get(STAFF_PAGE))


def test_session_has_an_absolute_lifetime(app):
    username = new_staff(app)
    c = logged_in(app, username)
    assert c.get(STAFF_PAGE).status_code == 200
    with app.app_context():
        uid = db.session.execute(select(KsUser.id).where(KsUser.username == username)).scalar_one()
        # Active a minute ago, but opened longer ago than STAFF_SESSION_MAX_HOURS.
        hours = app.config["STAFF_SESSION_MAX_HOURS"] + 1
        db.session.execute(update(StaffSession).where(StaffSession.user_id == uid).values(
            created_on=dt.datetime.now() - dt.timedelta(hours=hours),
            last_seen=dt.datetime.now() - dt.timedelta(minutes=1)))
        db.session.commit()
    assert_logged_out(c.get(STAFF_PAGE))


# --- 10. per-account lock ---------------------------------------------------------------------


def _attempt(app, username, password, address):
    c = Client(app)
    c.refresh_token("/login/")
    return c, c.post("/login/", {"username": username, "password": password},
                     environ_base={"REMOTE_ADDR": address})


def _lock(app, username):
    for i in range(app.config["STAFF_MAX_FAILURES"]):
        _, resp = _attempt(app, username, f"wrong-{i}", f"10.9.{i}.1")
        assert "/login/" in resp.location
    c, resp = _attempt(app, username, PASSWORD, "10.9.99.1")
    assert "/login/" in resp.location
    assert "该账号已被锁定" in text(c.get(resp.location))


def test_repeated_failures_from_many_addresses_lock_the_account(app):
    username = new_staff(app)
    _lock(app, username)
    c, resp = _attempt(app, f"{username}@example.invalid", PASSWORD, "10.9.98.1")
    assert "/login/" in resp.location  # nor through the e-mail address
    locked_until = user_row(app, username).locked_until
    minutes = app.config["STAFF_LOCK_MINUTES"]
    assert dt.timedelta(minutes=minutes - 1) < locked_until - dt.datetime.now() \
        <= dt.timedelta(minutes=minutes)
    with app.app_context():
        db.session.execute(update(KsUser).where(KsUser.username == username)
                           .values(locked_until=dt.datetime.now() - dt.timedelta(seconds=1)))
        db.session.commit()
    logged_in(app, username)  # the lock ends by itself


def _unlock(admin, app, username):
    uid = user_row(app, username).id
    admin.refresh_token(f"/users/show/{uid}")
    return admin.post("/users/action_post", {"action": "unlock", "rowid": uid},
                      follow_redirects=True)


def test_unlock_by_an_administrator_above_is_audited(app, login):
    username = new_staff(app, "410102", "county_reviewer")
    _lock(app, username)
    # Same unit: a county administrator may not unlock a county user.
    resp = _unlock(login("zy_admin"), app, username)
    assert "只有上级单位的管理员才能解锁" in text(resp)
    assert user_row(app, username).locked_until is not None
    resp = _unlock(login("zz_admin"), app, username)
    assert resp.status_code == 200 and user_row(app, username).locked_until is None
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.action == "unlock", AuditLog.table_name == "ab_user",
            AuditLog.row_id == user_row(app, username).id)).scalars().one()
        assert row.username == "zz_admin" and row.changes["username"] == username
    logged_in(app, username)


def test_unlock_is_not_offered_to_auditors(app, login):
    username = new_staff(app)
    _lock(app, username)
    resp = _unlock(login("henan_auditor"), app, username)
    assert resp.status_code == 403 and user_row(app, username).locked_until is not None


# --- 11. staff password rules -----------------------------------------------------------------


REFUSED = ["{username}123", "Zhengzhou2026", DEMO_PASSWORD]


@pytest.mark.parametrize("pattern", REFUSED)
def test_own_password_change_refuses_personal_and_published(app, pattern):
    username = new_staff(app, ZY_POINT, "point_staff")
    c = logged_in(app, username)
    bad = pattern.format(username=username)
    c.refresh_token("/resetmypassword/form")
    resp = c.post("/resetmypassword/form", {"password": bad, "conf_password": bad})
    assert resp.status_code == 200 and "密码" in text(resp)
    logged_in(app, username)  # the old password still works


def test_admin_reset_refuses_the_users_own_values(app, login):
    username = new_staff(app, ZY_POINT, "point_staff")
    url = f"/resetpassword/form?pk={user_row(app, username).id}"
    admin = login("zy_admin")
    admin.refresh_token(url)
    for bad in (f"{username}123", "Zhengzhou2026", DEMO_PASSWORD):
        resp = admin.post(url, {"password": bad, "conf_password": bad})
        assert resp.status_code == 200, bad
    logged_in(app, username)


def test_user_add_refuses_the_new_users_own_values(app, login, ids):
    admin = login("zy_admin")
    with app.app_context():
        role_id = db.session.execute(select(Role.id).where(Role.name == "point_staff")).scalar_one()
    for bad in ("Zhongyuan2026", "Zhengzhou2026", DEMO_PASSWORD, "sec_added_x9123"):
        admin.refresh_token("/users/add")
        resp = admin.post("/users/add", {
            "username": "sec_added_x9", "first_name": "测试", "last_name": "安全",
            "email": "sec_added_x9@example.invalid", "node": ids.node(ZY_POINT),
            "roles": role_id, "active": "y", "password": bad, "conf_password": bad})
        assert resp.status_code == 200, bad
        with app.app_context():
            assert db.session.execute(select(KsUser.id).where(
                KsUser.username == "sec_added_x9")).first() is None


def test_published_passwords_are_the_demo_ones():
    assert {DEMO_PASSWORD, DEMO_CANDIDATE_PASSWORD} <= set(PUBLISHED_PASSWORDS)


# --- 12. demo data only in development --------------------------------------------------------


def _production_app(tmp_path, database_url):
    return create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                  ENV="production"))


def test_seed_demo_refuses_outside_development(app, tmp_path, database_url):
    runner = _production_app(tmp_path, database_url).test_cli_runner()
    result = runner.invoke(args=["kaosheng", "seed-demo"])
    assert result.exit_code != 0 and "refusing to load demo data" in result.output
    assert DEMO_PASSWORD not in result.output


def test_seed_demo_reports_what_it_did(app, tmp_path, database_url):
    result = app.test_cli_runner().invoke(args=["kaosheng", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "database: sqlite" in result.output or "database: postgresql" in result.output
    assert "henan_admin" in result.output and DEMO_PASSWORD in result.output
    forced = _production_app(tmp_path, database_url).test_cli_runner().invoke(
        args=["kaosheng", "seed-demo", "--force-demo"])
    assert forced.exit_code == 0, forced.output


# --- 13. security headers ---------------------------------------------------------------------


def _assert_security_headers(resp):
    h = resp.headers
    assert h["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in h  # plain http in development and tests


def _nonce(resp):
    return re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize("who,url", [("zy_admin", "/nodeview/list/"), (None, "/login/"),
                                     (None, "/me/login"), (None, "/static/kaosheng.css")])
def test_security_headers_on_every_kind_of_response(app, login, who, url):
    c = login(who) if who else Client(app)
    resp = c.get(url)
    assert resp.status_code == 200
    _assert_security_headers(resp)


def test_fab_inline_scripts_carry_the_csp_nonce(login):
    resp = login("zy_admin").get("/users/list/")
    page = text(resp)
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all(f'nonce="{_nonce(resp)}"' in attrs for attrs in scripts)
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"].split(
        "script-src")[1].split(";")[0]


def test_templates_have_no_script_the_csp_would_block():
    """script-src has no 'unsafe-inline': inline scripts need the nonce, and inline event
    handlers or javascript: links would not run at all."""
    root = Path(__file__).resolve().parents[1] / "app" / "templates"
    for path in root.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for attrs in re.findall(r"<script([^>]*)>", source):
            assert "src=" in attrs or "nonce=" in attrs, path
        assert not re.search(r"\son[a-z]+=\"", source), path
        assert "javascript:" not in source, path


def test_production_forces_https_and_sends_hsts(app, tmp_path, database_url):
    c = _production_app(tmp_path, database_url).test_client()
    resp = c.get("/login/")
    assert resp.status_code == 302 and resp.location.startswith("https://")
    resp = c.get("/login/", base_url="https://localhost")
    assert resp.status_code == 200 and "max-age" in resp.headers["Strict-Transport-Security"]


# --- 14. request size and error pages ---------------------------------------------------------


def test_oversized_post_is_refused_before_reading(app):
    c = Client(app)
    started = time.perf_counter()
    resp = c.http.post("/login/", data=b"username=x&password=y",
                       content_type="application/x-www-form-urlencoded",
                       environ_overrides={"CONTENT_LENGTH": str(2 ** 30)})
    elapsed = time.perf_counter() - started
    assert resp.status_code == 413
    assert "请求过大" in text(resp) and 'data-status="413"' in text(resp)
    assert elapsed < 2
    assert app.config["MAX_CONTENT_LENGTH"] >= 200 * 1024 * 1024  # a full photo ZIP fits


def test_error_pages_are_chinese_in_the_staff_layout(app, login):
    c = login("zy_admin")
    resp = c.get("/users/show/999999999")
    assert resp.status_code == 404
    page = text(resp)
    assert "页面不存在" in page and 'data-status="404"' in page and "navbar" in page
    anonymous = Client(app).get("/no-such-page/")
    assert anonymous.status_code == 404 and "页面不存在" in text(anonymous)
    me = Client(app).get("/me/no-such-page")
    assert me.status_code == 404 and "页面不存在" in text(me) and "selfservice.css" in text(me)


def test_api_errors_answer_json(app, login):
    resp = login("zy_admin").get("/api/v1/no-such-endpoint/")
    assert resp.status_code == 404 and resp.is_json
    assert resp.get_json() == {"status": 404, "message": "页面或记录不存在，或不在您的管辖范围内。"}


def test_server_error_page(app, login, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "NodeView.list", broken)
    resp = login("zy_admin").get("/nodeview/list/")
    assert resp.status_code == 500
    assert "服务器出错" in text(resp) and "boom" not in text(resp)
