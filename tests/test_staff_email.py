"""Staff users without an e-mail address (issue 15, item 4): created and edited through the user
screen, logging in, and migration 0018 on a database that already has users."""
import pytest
from flask_appbuilder.security.sqla.models import Role
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text as sql, update

from app.extensions import db
from app.security import KsUser
from conftest import Client
from helpers import text

PASSWORD = "violet-harbour-lantern-93"
ZY_SCHOOL = "41010201"
STAFF_PAGE = "/candidateview/list/"
TAKEN = "该电子邮箱已被其他用户使用。"


def _role_id(app, name="school_staff"):
    with app.app_context():
        return db.session.execute(select(Role.id).where(Role.name == name)).scalar_one()


def _user(app, username):
    with app.app_context():
        user = db.session.execute(select(KsUser).where(KsUser.username == username)).scalar()
        if user is not None:
            db.session.expunge(user)
        return user


def _user_count(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(KsUser)).scalar()


def _add(admin, app, ids, username, email):
    admin.refresh_token("/users/add")
    return admin.post("/users/add", {
        "username": username, "first_name": "老师", "last_name": "王", "email": email,
        "node": ids.node(ZY_SCHOOL), "roles": _role_id(app), "active": "y",
        "password": PASSWORD, "conf_password": PASSWORD}, follow_redirects=True)


def _edit(admin, app, username, email):
    user = _user(app, username)
    admin.refresh_token(f"/users/edit/{user.id}")
    return admin.post(f"/users/edit/{user.id}", {
        "username": username, "first_name": user.first_name, "last_name": user.last_name,
        "email": email, "node": user.node_id, "roles": _role_id(app), "active": "y"},
        follow_redirects=True)


def _logged_in(client):
    resp = client.get(STAFF_PAGE)
    return resp.status_code == 200


def test_two_users_without_email_are_created(county_admin, app, ids):
    assert "选填：用户没有电子邮箱时留空。" in text(county_admin.get("/users/add"))
    for username in ("hf_no_mail_1", "hf_no_mail_2"):
        resp = _add(county_admin, app, ids, username, "")
        assert resp.status_code == 200 and "该字段是必填字段" not in text(resp), text(resp)
        assert _user(app, username).email is None
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(KsUser).where(
            KsUser.email == "")).scalar() == 0


def test_user_with_address_and_duplicate_refused_in_chinese(county_admin, app, ids):
    _add(county_admin, app, ids, "hf_mail_1", "wang.laoshi@example.com")
    assert _user(app, "hf_mail_1").email == "wang.laoshi@example.com"
    before = _user_count(app)
    resp = _add(county_admin, app, ids, "hf_mail_2", "wang.laoshi@example.com")
    assert TAKEN in text(resp)
    assert _user(app, "hf_mail_2") is None and _user_count(app) == before


def test_malformed_address_is_refused(county_admin, app, ids):
    resp = _add(county_admin, app, ids, "hf_bad_mail", "wang at school")
    assert "name@example.com" in text(resp) and _user(app, "hf_bad_mail") is None


def test_edit_keeps_own_address_refuses_anothers_and_clears_to_null(county_admin, app, ids):
    _add(county_admin, app, ids, "hf_edit_a", "hf_edit_a@example.com")
    _add(county_admin, app, ids, "hf_edit_b", "")
    assert TAKEN not in text(_edit(county_admin, app, "hf_edit_a", "hf_edit_a@example.com"))
    assert TAKEN in text(_edit(county_admin, app, "hf_edit_b", "hf_edit_a@example.com"))
    assert _user(app, "hf_edit_b").email is None
    _edit(county_admin, app, "hf_edit_a", "  ")
    assert _user(app, "hf_edit_a").email is None


def test_user_without_email_logs_in_and_sees_no_none(county_admin, app, ids):
    _add(county_admin, app, ids, "hf_login", "")
    staff = Client(app)
    resp = staff.login("hf_login", PASSWORD)
    assert resp.status_code == 302 and "/login" not in resp.location
    assert "None" not in text(staff.get("/users/userinfo/"))
    assert "None" not in text(county_admin.get(f"/users/show/{_user(app, 'hf_login').id}"))


@pytest.mark.parametrize("username", ["", " "])
def test_blank_user_name_matches_nobody_without_email(county_admin, app, ids, username):
    _add(county_admin, app, ids, "hf_blank_target", "")
    c = Client(app)
    resp = c.login(username, PASSWORD)
    assert resp.status_code != 302 or "/login" in resp.location
    assert not _logged_in(c)


def test_address_still_logs_in(county_admin, app, ids):
    _add(county_admin, app, ids, "hf_by_mail", "hf.by.mail@example.com")
    c = Client(app)
    c.login("hf.by.mail@example.com", PASSWORD)
    assert _logged_in(c)


# --- migration 0018 ---------------------------------------------------------------------------


def _references_to_users(app):
    """Rows of ab_user and of every column referencing it, by table.column."""
    with app.app_context():
        counts = {"ab_user": _user_count(app)}
        inspector = inspect(db.engine)
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                if fk["referred_table"] == "ab_user":
                    column = fk["constrained_columns"][0]
                    counts[f"{table}.{column}"] = db.session.execute(
                        sql(f"SELECT count({column}) FROM {table}")).scalar()
        return counts


def _kept(after, before):
    """``after``'s counts of the references that existed in ``before`` (later migrations may
    add columns referencing users, such as ks_incident.escalated_by_id in 0019)."""
    return {key: after.get(key) for key in before}


def _email_nullable(app):
    with app.app_context():
        return next(c for c in inspect(db.engine).get_columns("ab_user")
                    if c["name"] == "email")["nullable"]


def test_migration_keeps_users_roles_and_references(module_app):
    with module_app("staff_email_migration") as app:
        Client(app).login("zy_admin")  # a session row referencing ab_user (ON DELETE CASCADE)
        with app.app_context():
            downgrade(revision="0017")
            # Before 0018 a missing address could only be "" (once).
            db.session.execute(update(KsUser).where(KsUser.username == "zy_clerk")
                               .values(email=""))
            db.session.commit()
        before = _references_to_users(app)
        assert before["ab_user_role.user_id"] > 0 and before["ks_staff_session.user_id"] > 0
        assert before["ks_point_proposal.proposed_by_id"] > 0  # ON DELETE without cascade
        assert not _email_nullable(app)
        with app.app_context():
            upgrade()
        assert _kept(_references_to_users(app), before) == before and _email_nullable(app)
        assert _user(app, "zy_clerk").email is None
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                assert db.session.execute(sql("PRAGMA foreign_keys")).scalar() == 1
            downgrade(revision="0017")
        assert _kept(_references_to_users(app), before) == before and not _email_nullable(app)
        assert _user(app, "zy_clerk").email == "zy_clerk@invalid"
        with app.app_context():
            upgrade()
        assert _kept(_references_to_users(app), before) == before and _email_nullable(app)
