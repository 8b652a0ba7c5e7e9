"""Foundation: jurisdiction scoping, delegated administration, audit, security basics.

Two sibling counties of 郑州市: 中原区 (410102, zy_*) and 二七区 (410103, eq_*)."""

import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.audit import AuditLog
from app.extensions import db
from app.jurisdiction import Node
from app.security import KsUser
from helpers import text

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"


# --- anonymous -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/nodeview/list/", "/users/list/", "/auditlogview/list/"])
def test_anonymous_gets_login_page(client, url):
    resp = client.get(url, follow_redirects=True)
    assert resp.status_code == 200
    assert 'name="password"' in text(resp)
    assert "中原区" not in text(resp)


def test_anonymous_api_is_refused(client):
    assert client.get("/api/v1/node/").status_code == 401


def test_login_page_is_chinese_by_default(client):
    page = client.refresh_token()
    assert "登录" in page and "csrf_token" in page


def test_every_list_page_has_a_chinese_title_and_no_python_values(app, login):
    """FAB's generated titles ("List Candidate") are English whatever the locale, and it prints
    None / False as Python does: every model view of the project names its pages itself and
    shows empty cells and 是 / 否."""
    from flask_appbuilder import ModelView

    admin = login("henan_admin")
    pages = [f"{v.route_base}/list/" for v in app.appbuilder.baseviews
             if isinstance(v, ModelView) and v.__module__.startswith("app.")]
    assert len(pages) >= 10
    for url in pages:
        resp = admin.get(url)
        assert resp.status_code == 200, url
        title = re.search(r'class="panel-title">\s*(.*?)\s*<', resp.get_data(as_text=True))
        assert title and re.search(r"[\u4e00-\u9fff]", title.group(1)), (url, title)
        cells = re.findall(r"<td>\s*(None|False|True)\s*</td>", resp.get_data(as_text=True))
        assert not cells, (url, cells[:3])


def test_wrong_password_is_refused(client, failed_logins):
    resp = client.login("zy_admin", "wrong-password-123")
    assert "/login" in resp.location
    assert client.get("/nodeview/list/").status_code == 302


# --- scoping: lists, detail, edit, delete, API ---------------------------------------------

def test_node_list_is_scoped(login):
    zy = text(login("zy_admin").get("/nodeview/list/?psize_NodeView=100"))
    assert "郑州市第五十七中学" in zy and "中原区报名点" in zy
    assert "郑州市第五十六中学" not in zy and "二七区" not in zy
    eq = text(login("eq_admin").get("/nodeview/list/?psize_NodeView=100"))
    assert "郑州市第五十六中学" in eq and "郑州市第五十七中学" not in eq


@pytest.mark.parametrize("path", ["/nodeview/show/{}", "/nodeview/edit/{}", "/nodeview/delete/{}"])
def test_node_outside_subtree_is_404(county_admin, ids, path):
    county_admin.refresh_token("/nodeview/add")
    send = county_admin.post if "delete" in path else county_admin.get
    assert send(path.format(ids.node(EQ_SCHOOL))).status_code == 404
    if "delete" not in path:
        assert county_admin.get(path.format(ids.node(ZY_SCHOOL))).status_code == 200


def test_node_edit_post_outside_subtree_is_404_and_changes_nothing(county_admin, ids, app):
    resp = county_admin.post(f"/nodeview/edit/{ids.node(EQ_SCHOOL)}", {"name": "hijacked"})
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(Node, ids.node(EQ_SCHOOL)).name == "郑州市第五十六中学"


def test_node_api_is_scoped(login, ids):
    c = login("zy_admin")
    listing = c.get("/api/v1/node/?q=(page_size:100)").get_json()
    codes = {row["code"] for row in listing["result"]}
    assert ZY_SCHOOL in codes and "410102" in codes
    assert EQ_SCHOOL not in codes and "410103" not in codes and "410100" not in codes
    assert listing["count"] == len(codes)
    assert c.get(f"/api/v1/node/{ids.node(EQ_SCHOOL)}").status_code == 404
    assert c.get(f"/api/v1/node/{ids.node(ZY_SCHOOL)}").get_json()["result"]["code"] == ZY_SCHOOL


def test_forged_action_skips_rows_outside_subtree(login, ids, app):
    c = login("zy_admin")
    c.refresh_token("/nodeview/list/")
    resp = c.post("/nodeview/action_post", {
        "action": "deactivate", "rowid": [str(ids.node(EQ_SCHOOL)), str(ids.node("41010202"))]})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Node, ids.node(EQ_SCHOOL)).active is True
        assert db.session.get(Node, ids.node("41010202")).active is False
    c.post("/nodeview/action_post", {"action": "activate", "rowid": [str(ids.node("41010202"))]})
    with app.app_context():
        assert db.session.get(Node, ids.node("41010202")).active is True


def test_single_row_action_outside_subtree_is_404(login, ids):
    c = login("zy_admin")
    c.refresh_token("/nodeview/list/")
    assert c.post(f"/nodeview/action/deactivate/{ids.node(EQ_SCHOOL)}").status_code == 404


def test_county_admin_creates_school_in_own_county(login, ids, app):
    c = login("zy_admin")
    c.refresh_token("/nodeview/add")
    resp = c.post("/nodeview/add", {"parent": ids.node("410102"), "kind": "school",
                                    "code": "41010299", "name": "中原区测试学校", "active": "y"})
    assert resp.status_code == 302
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == "41010299")).scalar_one()
        assert node.path == "/410000/410100/410102/41010299/"


def test_forged_parent_outside_subtree_is_refused(login, ids, app):
    c = login("zy_admin")
    c.refresh_token("/nodeview/add")
    resp = c.post("/nodeview/add", {"parent": ids.node("410103"), "kind": "school",
                                    "code": "41010398", "name": "伪造学校"}, follow_redirects=True)
    assert "请选择您辖区内的上级单位" in text(resp) and "Not a valid choice" not in text(resp)
    with app.app_context():
        assert db.session.execute(select(Node).where(Node.code == "41010398")).first() is None


def test_bad_region_code_is_refused_with_message(login, ids, app):
    c = login("zz_admin")
    c.refresh_token("/nodeview/add")
    resp = c.post("/nodeview/add", {"parent": ids.node("410100"), "kind": "county",
                                    "code": "420101", "name": "错码区"}, follow_redirects=True)
    assert "区划代码应为以4101开头的6位行政区划代码" in text(resp)
    with app.app_context():
        assert db.session.execute(select(Node).where(Node.code == "420101")).first() is None


# --- deleting units, point designations ---------------------------------------------------

def _delete_node(c, node_id):
    c.refresh_token("/nodeview/list/")
    return c.post(f"/nodeview/delete/{node_id}", follow_redirects=True)


@pytest.mark.parametrize("code,what", [("41010202", "考生"), ("BM410102", "用户"),
                                       ("410102", "下级单位")])
def test_unit_with_dependents_is_not_deleted(city_admin, ids, app, code, what):
    resp = _delete_node(city_admin, ids.node(code))
    page = text(resp)
    assert "仍有" in page and what in page and "请改为停用" in page
    with app.app_context():
        assert db.session.get(Node, ids.node(code)) is not None


def test_empty_unit_is_deleted(login, ids, app):
    c = login("zy_admin")
    c.refresh_token("/nodeview/add")
    c.post("/nodeview/add", {"parent": ids.node("410102"), "kind": "school", "code": "41010297",
                             "name": "待删除学校", "active": "y"})
    node_id = ids.node("41010297")
    _delete_node(c, node_id)
    with app.app_context():
        assert db.session.get(Node, node_id) is None


def test_point_levels_and_designations_are_shown(login, ids, app):
    # Set by the province's approval of a point proposal (never on the unit forms: see
    # tests/test_rule_bypass.py); the unit's page shows them.
    point = ids.node("BM410102")
    with app.app_context():
        node = db.session.get(Node, point)
        node.serves_levels, node.for_medical = "01,03", True
        db.session.commit()
    try:
        show = text(login("zy_admin").get(f"/nodeview/show/{point}"))
        assert "高起本、专升本" in show and "医卫类" in show
    finally:
        with app.app_context():
            node = db.session.get(Node, point)
            node.serves_levels, node.for_medical = None, False
            db.session.commit()
    assert "全部层次" in text(login("zy_admin").get(f"/nodeview/show/{point}"))


# --- users: scoping and delegation ---------------------------------------------------------

def test_user_list_is_scoped(login):
    page = text(login("zy_admin").get("/users/list/?psize_KsUserView=100"))
    assert "zy_school" in page and "zy_reviewer" in page
    assert "eq_admin" not in page and "eq_school" not in page and "zz_admin" not in page


@pytest.mark.parametrize("path", ["/users/show/{}", "/users/edit/{}", "/users/delete/{}",
                                  "/resetpassword/form?pk={}"])
def test_user_outside_subtree_is_404(county_admin, ids, path):
    county_admin.refresh_token("/users/add")
    send = county_admin.post if "delete" in path else county_admin.get
    assert send(path.format(ids.user("eq_school"))).status_code == 404
    if "delete" not in path:
        assert county_admin.get(path.format(ids.user("zy_school"))).status_code == 200


def test_password_reset_post_outside_subtree_is_refused(login, ids, app):
    c = login("zy_admin")
    c.refresh_token(f"/resetpassword/form?pk={ids.user('zy_school')}")
    resp = c.post(f"/resetpassword/form?pk={ids.user('eq_school')}",
                  {"password": "Another-pass-77", "conf_password": "Another-pass-77"})
    assert resp.status_code == 404
    login("eq_school")  # the old password still works


def _add_user(c, ids, username, node_code, role_name, app):
    with app.app_context():
        from flask_appbuilder.security.sqla.models import Role
        role_id = db.session.execute(select(Role.id).where(Role.name == role_name)).scalar_one()
    c.refresh_token("/users/add")
    return c.post("/users/add", {
        "username": username, "first_name": "测试", "last_name": "用户",
        "email": f"{username}@example.invalid", "node": ids.node(node_code), "roles": role_id,
        "active": "y", "password": "Strong-pass-2026", "conf_password": "Strong-pass-2026",
    }, follow_redirects=True)


def _user_exists(app, username):
    with app.app_context():
        return db.session.execute(select(KsUser).where(KsUser.username == username)).first() is not None


def test_county_admin_creates_school_user(login, county_admin, ids, app):
    _add_user(county_admin, ids, "zy_new_staff", ZY_SCHOOL, "school_staff", app)
    assert _user_exists(app, "zy_new_staff")
    login("zy_new_staff", "Strong-pass-2026")
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ab_user", AuditLog.action == "insert")
            .order_by(AuditLog.id.desc())).scalars().first()
        assert row.username == "zy_admin" and row.changes["username"] == [None, "zy_new_staff"]
        assert "password" not in row.changes
        assert row.node_path.endswith(f"/{ZY_SCHOOL}/")


OUTSIDE = "您无权将用户绑定到您管辖范围以外的单位。"


def _user_count(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(KsUser)).scalar()


def test_forged_post_binding_user_outside_subtree_is_refused(login, ids, app):
    before = _user_count(app)
    resp = _add_user(login("zy_admin"), ids, "zy_forged_node", EQ_SCHOOL, "school_staff", app)
    assert resp.status_code == 200
    assert OUTSIDE in text(resp) and "Not a valid choice" not in text(resp)
    assert not _user_exists(app, "zy_forged_node") and _user_count(app) == before


@pytest.mark.parametrize("role,label", [("province_admin", "省级管理员"), ("city_admin", "市级管理员"),
                                        ("city_reviewer", "市级审核员")])
def test_forged_post_granting_higher_role_is_refused(login, ids, app, role, label):
    before = _user_count(app)
    resp = _add_user(login("zy_admin"), ids, f"zy_forged_{role}", "410102", role, app)
    assert f"您无权分配“{label}”角色" in text(resp)
    assert "该字段是必填字段" not in text(resp)
    assert not _user_exists(app, f"zy_forged_{role}") and _user_count(app) == before


def test_forged_unknown_ids_are_refused_with_message(login, ids, app):
    c = login("zy_admin")
    c.refresh_token("/users/add")
    resp = c.post("/users/add", {
        "username": "zy_ghost", "first_name": "测", "last_name": "试",
        "email": "zy_ghost@example.invalid", "node": "999999", "roles": "abc", "active": "y",
        "password": "Strong-pass-2026", "conf_password": "Strong-pass-2026"})
    assert resp.status_code == 200 and text(resp).count("所选项不存在。") == 2
    assert not _user_exists(app, "zy_ghost")


def test_role_bound_to_wrong_kind_of_unit_is_refused_with_message(login, ids, app):
    resp = _add_user(login("zy_admin"), ids, "zy_wrong_kind", ZY_SCHOOL, "county_reviewer", app)
    assert not _user_exists(app, "zy_wrong_kind")
    assert "县级审核员" in text(resp) and "郑州市第五十七中学" in text(resp)


def _edit_self(c, ids, node_code, role_id):
    me = ids.user("zy_admin")
    c.refresh_token(f"/users/edit/{me}")
    return c.post(f"/users/edit/{me}", {
        "username": "zy_admin", "first_name": "管理员", "last_name": "中原区",
        "email": "zy_admin@demo.kaosheng.invalid", "node": ids.node(node_code), "roles": role_id,
        "active": "y"}, follow_redirects=True)


def _role_id(app, name):
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        return db.session.execute(select(Role.id).where(Role.name == name)).scalar_one()


@pytest.mark.parametrize("node_code,role", [("410100", "city_admin"), ("410102", "city_admin"),
                                            ("410100", "county_admin")])
def test_admin_cannot_raise_own_role_or_unit(login, ids, app, node_code, role):
    resp = _edit_self(login("zy_admin"), ids, node_code, _role_id(app, role))
    assert "您不能更改本人的所属单位或角色" in text(resp) or OUTSIDE in text(resp)
    with app.app_context():
        user = db.session.get(KsUser, ids.user("zy_admin"))
        assert [r.name for r in user.roles] == ["county_admin"]
        assert user.node.code == "410102"


def test_admin_cannot_move_own_account_down(login, ids, app):
    """Even a move inside the subtree is for an upper level to make."""
    resp = _edit_self(login("zy_admin"), ids, ZY_SCHOOL, _role_id(app, "school_staff"))
    assert "您不能更改本人的所属单位或角色，请由上级管理员办理。" in text(resp)
    with app.app_context():
        assert db.session.get(KsUser, ids.user("zy_admin")).node.code == "410102"


def test_admin_edits_own_name(county_admin, ids, app):
    _edit_self(county_admin, ids, "410102", _role_id(app, "county_admin"))
    with app.app_context():
        assert db.session.get(KsUser, ids.user("zy_admin")).last_name == "中原区"


def test_nobody_grants_more_than_they_hold(app):
    """Every role an administrator may grant holds only permissions the administrator holds."""
    from app.jurisdiction import LEVELS
    from app.security import ROLES, roles_grantable_at

    with app.app_context():
        held = {r.name: {(pv.permission.name, pv.view_menu.name) for pv in r.permissions}
                for r in app.appbuilder.sm.get_all_roles()}
    problems = []
    for admin in (r for r in ROLES if r.manages_users):
        for level in sorted({LEVELS[k] for k in admin.kinds}):
            for granted in roles_grantable_at(level):
                extra = held[granted] - held[admin.name]
                if extra:
                    problems.append(f"{admin.name} grants {granted} but lacks {sorted(extra)}")
    assert not problems, "\n".join(problems)
    assert held["county_admin"] < held["province_admin"]


def test_staff_without_user_management_cannot_open_user_screens(login, school_staff, ids):
    assert school_staff.get("/users/list/").status_code == 403
    assert school_staff.get("/users/add").status_code == 403
    page = text(school_staff.get("/"))
    assert "/users/list/" not in page
    assert "/users/list/" in text(login("zy_admin").get("/"))


@pytest.mark.parametrize("username", ["zy_school", "zy_point", "zy_clerk", "zy_reviewer",
                                      "henan_auditor", "zy_admin"])
def test_every_user_opens_own_profile_and_password_pages(login, username):
    c = login(username)
    profile = c.get("/users/userinfo/")
    assert profile.status_code == 200 and username in text(profile)
    assert c.get("/resetmypassword/form").status_code == 200
    # …but the profile permission opens no user list (administrators and auditors have one).
    if username not in ("zy_admin", "henan_auditor"):
        assert c.get("/users/list/").status_code == 403


def test_city_admin_sees_both_counties(login):
    # by name, not by paging: other tests add users (their order is random)
    c = login("zz_admin")
    for name, listed in (("zy_admin", True), ("eq_admin", True), ("henan_admin", False)):
        page = text(c.get(f"/users/list/?_flt_0_username={name}"))
        assert bool(re.search(rf">\s*{name}\s*<", page)) is listed, name


# --- audit trail ---------------------------------------------------------------------------

def test_county_auditor_sees_only_own_subtree_audit(login, county_admin, ids, app):
    _add_user(county_admin, ids, "zy_auditor", "410102", "auditor", app)
    assert _user_exists(app, "zy_auditor")
    eq = login("eq_admin")
    _add_user(eq, ids, "eq_marker_user", EQ_SCHOOL, "school_staff", app)
    auditor = login("zy_auditor", "Strong-pass-2026")
    page = text(auditor.get("/auditlogview/list/?psize_AuditLogView=100"))
    assert "zy_admin" in page and "eq_admin" not in page
    province = text(login("henan_auditor").get("/auditlogview/list/?psize_AuditLogView=100"))
    assert "eq_admin" in province
    # read-only
    assert auditor.get("/auditlogview/add").status_code == 403


def _audit_rows(app, **where):
    with app.app_context():
        stmt = select(AuditLog).order_by(AuditLog.id.desc())
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditLog, column) == value)
        return db.session.execute(stmt).scalars().all()


def test_insert_rows_name_the_record_they_created(app, county_admin, ids):
    _add_user(county_admin, ids, "zy_audit_target", "41010201", "school_staff", app)
    with app.app_context():
        user_id = db.session.execute(
            select(KsUser.id).where(KsUser.username == "zy_audit_target")).scalar_one()
    [row] = [r for r in _audit_rows(app, table_name="ab_user", action="insert")
             if (r.changes.get("username") or [None, None])[1] == "zy_audit_target"]
    assert row.row_id == user_id


def test_system_changes_are_filed_at_the_root_for_province_auditors(app, login):
    """Changes made outside a request (CLI, demo data, jobs without a user) reach the
    province auditors, and nobody below them."""
    from app.exams.models import Exam

    with app.app_context():
        exam = Exam(kind="zhongzhao", year=2031, name="审计根路径考试", active=False)
        db.session.add(exam)
        db.session.commit()
        db.session.delete(exam)  # the exam itself is only a probe
        db.session.commit()
    (row,) = [r for r in _audit_rows(app, table_name="ks_exam", action="insert")
              if r.changes.get("name", [None, None])[1] == "审计根路径考试"]
    assert row.username == "system" and row.node_path == "/410000/"
    province = text(login("henan_auditor").get(f"/auditlogview/show/{row.id}"))
    assert "审计根路径考试" in province
    assert login("zy_admin").get(f"/auditlogview/show/{row.id}").status_code == 404


def test_cli_create_admin_is_audited(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kaosheng", "create-admin", "--username", "cli_audit_admin",
                                 "--password", "Cli-audit-pass-2026"])
    assert result.exit_code == 0, result.output
    (row,) = [r for r in _audit_rows(app, table_name="ab_user", action="insert")
              if r.changes.get("username") == [None, "cli_audit_admin"]]
    assert row.username == "system" and row.node_path == "/410000/"


def test_role_changes_on_roles_screen_are_audited(app, province_admin):
    province_admin.refresh_token("/roles/add")
    province_admin.post("/roles/add", {"name": "audit_probe_role"})
    rows = [r for r in _audit_rows(app, table_name="ab_role", action="insert")
            if r.changes.get("name") == [None, "audit_probe_role"]]
    assert len(rows) == 1 and rows[0].username == "henan_admin"
    assert rows[0].node_path == "/410000/"


def test_unplaced_change_by_county_user_goes_to_province(app, ids):
    """A record with no unit changed by a county user is filed under that user's province."""
    from flask import g

    from app.exams.models import Exam

    with app.test_request_context("/"):
        g.user = db.session.get(KsUser, ids.user("zy_admin"))
        exam = Exam(kind="gaokao", year=2031, name="县级用户改动", active=False)
        db.session.add(exam)
        db.session.commit()
        db.session.delete(exam)
        db.session.commit()
    (row,) = [r for r in _audit_rows(app, table_name="ks_exam", action="insert")
              if r.changes.get("name", [None, None])[1] == "县级用户改动"]
    assert row.username == "zy_admin" and row.node_path == "/410000/"


# --- security basics -----------------------------------------------------------------------

def test_post_without_csrf_token_is_refused(login, ids, app):
    c = login("zy_admin")
    school = ids.node(ZY_SCHOOL)
    for token in (None, "forged-token"):
        data = {"name": "无令牌", "contact": "x"} | ({"csrf_token": token} if token else {})
        resp = c.http.post(f"/nodeview/edit/{school}", data=data)
        assert resp.status_code == 400
    resp = c.http.post("/nodeview/action_post", data={"action": "deactivate", "rowid": str(school)})
    assert resp.status_code == 400
    with app.app_context():
        node = db.session.get(Node, school)
        assert (node.name, node.contact, node.active) == ("郑州市第五十七中学", None, True)


def test_state_change_through_get_is_refused(county_admin, ids, app):
    """FAB's delete links are GETs; with CSRF on they must not delete anything."""
    node = ids.node("BM410102")
    county_admin.get(f"/nodeview/delete/{node}")
    with app.app_context():
        assert db.session.get(Node, node) is not None


def test_session_cookie_expires(county_admin):
    cookie = county_admin.http.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert county_admin.http.get_cookie("remember_token") is None


def test_stale_session_lands_on_login_page(tmp_path, database_url, monkeypatch):
    """Idle longer than PERMANENT_SESSION_LIFETIME: the signed cookie is too old and the server
    refuses it, whatever the browser does with the cookie's expiry."""
    from datetime import timedelta

    from itsdangerous.timed import TimestampSigner

    from conftest import Client, make_config

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                 PERMANENT_SESSION_LIFETIME=timedelta(seconds=60)))
    c = Client(app)
    assert c.login("zy_admin").status_code == 302
    assert c.get("/nodeview/list/").status_code == 200
    now = TimestampSigner.get_timestamp
    # 50 s later the cookie is still good, and the request refreshes it (idle timeout).
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now(self) + 50)
    assert c.get("/nodeview/list/").status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now(self) + 50 + 61)
    resp = c.get("/nodeview/list/", follow_redirects=True)
    assert 'name="password"' in text(resp) and "郑州市第五十七中学" not in text(resp)


def test_security_rest_api_is_not_served(client):
    """FAB's JWT login/refresh would bypass the login rate limit and the session expiry."""
    for url in ("/api/v1/security/login", "/api/v1/security/refresh"):
        resp = client.http.post(url, json={"username": "zy_admin", "password": "Demo-2026-ks",
                                           "provider": "db", "refresh": True})
        assert resp.status_code == 404


@pytest.mark.parametrize("view", ["nodeview", "users", "candidateview", "examview", "phaseview",
                                  "auditlogview", "roles", "groups"])
def test_file_download_routes_are_gone(province_admin, view):
    assert province_admin.get(f"/{view}/download/kaosheng.db").status_code == 404


def test_no_role_holds_download_permission(app):
    with app.app_context():
        held = {pv.permission.name for r in app.appbuilder.sm.get_all_roles()
                for pv in r.permissions}
        assert "can_download" not in held and "can_list" in held


def test_english_can_be_selected(county_admin):
    county_admin.get("/lang/en")
    assert "Units in your jurisdiction" in text(county_admin.get("/"))
    county_admin.get("/lang/zh")
    assert "Units in your jurisdiction" not in text(county_admin.get("/"))


def test_login_is_rate_limited(tmp_path, database_url, failed_logins):
    from app import create_app
    from conftest import Client, make_config

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                 AUTH_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="memory://"))
    c = Client(app)
    codes = [c.login("zy_admin", "wrong-password-1").status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302] and codes[3] == 429


@pytest.mark.parametrize("env", ["production", "staging", "test", ""])
@pytest.mark.parametrize("key", ["dev-only-not-secret", "", None])
def test_only_development_starts_with_default_secret_key(env, key):
    from app import ConfigError

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV": env, "SECRET_KEY": key})


def test_production_starts_with_own_secret_key(tmp_path):
    app = create_app({"ENV": "production", "SECRET_KEY": "a-real-secret-of-the-office",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SECRET_KEY"] == "a-real-secret-of-the-office"


@pytest.fixture
def failed_logins(app):
    """For tests that send wrong passwords for zy_admin: puts back its failure count and
    login lock afterwards, so later tests (in any order) can still log in as zy_admin."""
    from app.security import KsUser

    def account():
        return db.session.execute(select(KsUser).where(KsUser.username == "zy_admin")).scalar_one()

    with app.app_context():
        saved = (account().fail_login_count, account().locked_until)
    yield
    with app.app_context():
        user = account()
        user.fail_login_count, user.locked_until = saved
        db.session.commit()


def _limited_app(tmp_path, database_url, hops):
    from conftest import make_config

    return create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                  AUTH_RATE_LIMIT="2 per minute", PROXY_FIX_HOPS=hops,
                                  RATELIMIT_STORAGE_URI="memory://"))


def _login_codes(app, forwarded_for, n):
    from conftest import Client

    c = Client(app)
    c.refresh_token()
    headers = {"X-Forwarded-For": forwarded_for}
    return [c.http.post("/login/", data={"username": "zy_admin", "password": "wrong-pass-1",
                                         "csrf_token": c.token}, headers=headers).status_code
            for _ in range(n)]


def test_behind_one_proxy_the_forwarded_address_is_used(tmp_path, database_url, ids,
                                                       failed_logins):
    from conftest import Client

    app = _limited_app(tmp_path, database_url, 1)
    assert _login_codes(app, "203.0.113.7", 3) == [302, 302, 429]
    # Another client behind the same proxy keeps its own bucket.
    assert _login_codes(app, "203.0.113.8", 1) == [302]
    # The audit trail records the client, not the proxy.
    c = Client(app)
    via = {"headers": {"X-Forwarded-For": "203.0.113.9"}}
    c.refresh_token()
    c.post("/login/", {"username": "zy_admin", "password": "Demo-2026-ks"}, **via)
    c.refresh_token("/nodeview/add")
    node = ids.node("BM410102")
    # the whole form as the page sends it (an absent "active" box would retire the point)
    c.post(f"/nodeview/edit/{node}", {"name": "中原区报名点", "contact": "代理测试",
                                      "active": "y"}, **via)
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_node", AuditLog.row_id == node)
            .order_by(AuditLog.id.desc())).scalars().first()
        assert row.changes["contact"][1] == "代理测试" and row.ip == "203.0.113.9"


def test_without_proxy_setting_forwarded_header_is_ignored(tmp_path, database_url,
                                                          failed_logins):
    """Nobody dodges the limit by inventing X-Forwarded-For addresses."""
    app = _limited_app(tmp_path, database_url, 0)
    assert _login_codes(app, "203.0.113.7", 2) == [302, 302]
    assert _login_codes(app, "203.0.113.8", 1) == [429]


# --- progress on the home page -------------------------------------------------------------

def _progress_rows(page, exam_id):
    table = page[page.index(f'id="progress-{exam_id}"'):]
    table = table[:table.index("</table>")]
    # a count is a cell's whole text, linked to its list or not
    return {unit: [int(n) for n in re.findall(r"<t[dh]>(?:<a [^>]*>)?(\d+)(?:</a>)?</t[dh]>", row)]
            for unit, row in re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', table, re.S)}


def test_home_page_counts_progress_per_unit_below_the_user(app, login):
    from app.candidates.models import Candidate
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam

    with app.app_context():
        exam = db.session.execute(select(Exam).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        cand = db.session.execute(
            select(Candidate).join(Node).where(Node.code == "41010202", Candidate.exam_id == exam.id)
            .order_by(Candidate.id)).scalars().first()
        state_before, cand_id, exam_id = cand.state, cand.id, exam.id
        cand.state = "confirmed"
        db.session.commit()

        def in_county(code):
            return db.session.execute(select(func.count()).select_from(Candidate).join(Node).where(
                Candidate.exam_id == exam.id, Node.path.like(f"%/{code}/%"))).scalar()

        zy_total, eq_total = in_county("410102"), in_county("410103")
        zy_confirmed = db.session.execute(select(func.count()).select_from(Candidate).join(Node).where(
            Candidate.exam_id == exam.id, Node.path.like("%/410102/%"),
            Candidate.state == "confirmed")).scalar()
    try:
        rows = _progress_rows(text(login("zz_admin").get("/")), exam_id)
        # columns: records, draft, confirmed, …
        assert rows["410102"][0] == zy_total > 0 and rows["410103"][0] == eq_total
        assert rows["410102"][2] == zy_confirmed >= 1
        assert rows["total"][0] == sum(r[0] for u, r in rows.items() if u != "total")
        county = _progress_rows(text(login("eq_admin").get("/")), exam_id)
        assert "410102" not in county and "41010202" not in county
        assert county["total"][0] == eq_total
        assert set(county) - {"total"} <= {"41010301", "41010302", "BM410103", "BM410103D"}
    finally:
        with app.app_context():
            db.session.get(Candidate, cand_id).state = state_before
            db.session.commit()
