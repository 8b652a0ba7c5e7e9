"""Foundation: jurisdiction scoping, delegated administration, audit, security basics.

Two sibling counties of 郑州市: 中原区 (410102, zy_*) and 二七区 (410103, eq_*)."""

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.extensions import db
from app.jurisdiction import Node
from app.security import KsUser

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"


def text(resp):
    return resp.get_data(as_text=True)


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


def test_wrong_password_is_refused(client):
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
def test_node_outside_subtree_is_404(login, ids, path):
    c = login("zy_admin")
    c.refresh_token("/nodeview/add")
    send = c.post if "delete" in path else c.get
    assert send(path.format(ids.node(EQ_SCHOOL))).status_code == 404
    if "delete" not in path:
        assert c.get(path.format(ids.node(ZY_SCHOOL))).status_code == 200


def test_node_edit_post_outside_subtree_is_404_and_changes_nothing(login, ids, app):
    c = login("zy_admin")
    resp = c.post(f"/nodeview/edit/{ids.node(EQ_SCHOOL)}", {"name": "hijacked"})
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
    assert "41010398" not in text(resp) or "Not a valid choice" in text(resp) or "无效" in text(resp)
    with app.app_context():
        assert db.session.execute(select(Node).where(Node.code == "41010398")).first() is None


def test_bad_region_code_is_refused_with_message(login, ids, app):
    c = login("zz_admin")
    c.refresh_token("/nodeview/add")
    resp = c.post("/nodeview/add", {"parent": ids.node("410100"), "kind": "county",
                                    "code": "420101", "name": "错码区"}, follow_redirects=True)
    assert "4101" in text(resp)
    with app.app_context():
        assert db.session.execute(select(Node).where(Node.code == "420101")).first() is None


# --- users: scoping and delegation ---------------------------------------------------------

def test_user_list_is_scoped(login):
    page = text(login("zy_admin").get("/users/list/?psize_UserDBModelView=100"))
    assert "zy_school" in page and "zy_reviewer" in page
    assert "eq_admin" not in page and "eq_school" not in page and "zz_admin" not in page


@pytest.mark.parametrize("path", ["/users/show/{}", "/users/edit/{}", "/users/delete/{}",
                                  "/resetpassword/form?pk={}"])
def test_user_outside_subtree_is_404(login, ids, path):
    c = login("zy_admin")
    c.refresh_token("/users/add")
    send = c.post if "delete" in path else c.get
    assert send(path.format(ids.user("eq_school"))).status_code == 404
    if "delete" not in path:
        assert c.get(path.format(ids.user("zy_school"))).status_code == 200


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


def test_county_admin_creates_school_user(login, ids, app):
    c = login("zy_admin")
    _add_user(c, ids, "zy_new_staff", ZY_SCHOOL, "school_staff", app)
    assert _user_exists(app, "zy_new_staff")
    login("zy_new_staff", "Strong-pass-2026")
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ab_user", AuditLog.action == "insert")
            .order_by(AuditLog.id.desc())).scalars().first()
        assert row.username == "zy_admin" and row.changes["username"] == [None, "zy_new_staff"]
        assert "password" not in row.changes
        assert row.node_path.endswith(f"/{ZY_SCHOOL}/")


def test_forged_post_binding_user_outside_subtree_is_refused(login, ids, app):
    resp = _add_user(login("zy_admin"), ids, "zy_forged_node", EQ_SCHOOL, "school_staff", app)
    assert not _user_exists(app, "zy_forged_node")
    assert resp.status_code == 200


@pytest.mark.parametrize("role", ["province_admin", "city_admin", "city_reviewer"])
def test_forged_post_granting_higher_role_is_refused(login, ids, app, role):
    _add_user(login("zy_admin"), ids, f"zy_forged_{role}", "410102", role, app)
    assert not _user_exists(app, f"zy_forged_{role}")


def test_role_bound_to_wrong_kind_of_unit_is_refused_with_message(login, ids, app):
    resp = _add_user(login("zy_admin"), ids, "zy_wrong_kind", ZY_SCHOOL, "county_reviewer", app)
    assert not _user_exists(app, "zy_wrong_kind")
    assert "county_reviewer" in text(resp) or "县级审核员" in text(resp) or "County reviewer" in text(resp)


def test_admin_cannot_raise_own_role(login, ids, app):
    c = login("zy_admin")
    with app.app_context():
        from flask_appbuilder.security.sqla.models import Role
        top = db.session.execute(select(Role.id).where(Role.name == "city_admin")).scalar_one()
    me = ids.user("zy_admin")
    c.refresh_token(f"/users/edit/{me}")
    c.post(f"/users/edit/{me}", {"username": "zy_admin", "first_name": "管理员",
                                 "last_name": "中原区", "email": "zy_admin@demo.kaosheng.invalid",
                                 "node": ids.node("410100"), "roles": top, "active": "y"})
    with app.app_context():
        user = db.session.get(KsUser, me)
        assert [r.name for r in user.roles] == ["county_admin"]
        assert user.node.code == "410102"


def test_staff_without_user_management_cannot_open_user_screens(login, ids):
    c = login("zy_school")
    assert c.get("/users/list/").status_code == 403
    assert c.get("/users/add").status_code == 403
    page = text(c.get("/"))
    assert "/users/list/" not in page
    assert "/users/list/" in text(login("zy_admin").get("/"))


def test_city_admin_sees_both_counties(login):
    page = text(login("zz_admin").get("/users/list/?psize_UserDBModelView=100"))
    assert "zy_admin" in page and "eq_admin" in page and "henan_admin" not in page


# --- audit trail ---------------------------------------------------------------------------

def test_county_auditor_sees_only_own_subtree_audit(login, ids, app):
    admin = login("zy_admin")
    _add_user(admin, ids, "zy_auditor", "410102", "auditor", app)
    assert _user_exists(app, "zy_auditor")
    eq = login("eq_admin")
    _add_user(eq, ids, "eq_marker_user", EQ_SCHOOL, "school_staff", app)
    auditor = login("zy_auditor", "Strong-pass-2026")
    page = text(auditor.get("/auditlogview/list/?psize_AuditLogView=100"))
    assert "zy_admin" in page and "eq_admin" not in page
    province = text(login("henan_auditor").get("/auditlogview/list/?psize_AuditLogView=100"))
    assert "eq_admin" in province
    # read-only
    assert auditor.get("/auditlogview/add").status_code in (403, 404)


# --- security basics -----------------------------------------------------------------------

def test_post_without_csrf_token_is_refused(login, ids, app):
    c = login("zy_admin")
    resp = c.http.post("/nodeview/edit/%d" % ids.node(ZY_SCHOOL), data={"name": "无令牌"})
    with app.app_context():
        assert db.session.get(Node, ids.node(ZY_SCHOOL)).name == "郑州市第五十七中学"
    assert resp.status_code in (200, 302, 400)


def test_session_cookie_expires(login):
    c = login("zy_admin")
    cookie = c.http.get_cookie("session")
    assert cookie is not None and cookie.expires is not None


def test_english_can_be_selected(login):
    c = login("zy_admin")
    c.get("/lang/en")
    assert "Units in your jurisdiction" in text(c.get("/"))
    c.get("/lang/zh")
    assert "Units in your jurisdiction" not in text(c.get("/"))


def test_login_is_rate_limited(tmp_path, database_url):
    from app import create_app
    from conftest import Client, make_config

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url,
                                 AUTH_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="memory://"))
    c = Client(app)
    codes = [c.login("zy_admin", "wrong-password-1").status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302] and codes[3] == 429


def test_production_refuses_default_secret_key():
    from app import ConfigError, create_app

    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "SECRET_KEY": "dev-only-not-secret"})
