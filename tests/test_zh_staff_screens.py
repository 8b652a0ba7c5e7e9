"""FAB's stock staff screens (users, roles, own profile and passwords) read in Chinese: no
English word of FAB's screens in the visible text, roles and permissions by their Chinese
names, and no empty group screen."""
import re
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.security import COUNTY_ADMIN, PROVINCE_ADMIN, ROLES, role_label
from helpers import text

#: FAB's English, whole words (case-sensitive: demo e-mail addresses are lower case).
ENGLISH = ["Username", "User Name", "First Name", "Last Name", "Email", "Active", "Is Active",
           "Last Login", "Last login", "Login Count", "Login count", "Fail Login Count",
           "Failed login count", "Created On", "Created By", "Changed On", "Changed By",
           "Created on", "Changed on", "Roles", "Role", "Permissions", "Edit", "Delete",
           "List", "Show", "Add", "Search", "Record Count", "Actions", "Groups", "Cancel",
           "OK", "Name", "Password", "Confirm Password", "Full Name"]
ENGLISH_RE = re.compile(r"\b(%s)\b" % "|".join(re.escape(w) for w in ENGLISH))
#: FAB's permission strings ("can add on CandidateView", "menu access on Units") and its
#: help texts.
PHRASES_RE = re.compile(r"\bcan \w+|\w+ on \w+View\b|menu access|The user's|authentication")


class VisibleText(HTMLParser):
    """Text nodes outside <script>/<style>, plus tooltips and placeholders."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [v for k, v in attrs if k in ("title", "placeholder") and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible(resp):
    parser = VisibleText()
    parser.feed(text(resp))
    return parser.parts


def _role_id(app, name):
    from flask_appbuilder.security.sqla.models import Role
    with app.app_context():
        return db.session.execute(select(Role.id).where(Role.name == name)).scalar_one()


def _screens(app, ids):
    user, role = ids.user("zy_admin"), _role_id(app, COUNTY_ADMIN)
    return ["/users/list/", "/users/add", f"/users/show/{user}", f"/users/edit/{user}",
            "/users/userinfo/", "/roles/list/", "/roles/add", f"/roles/show/{role}",
            f"/roles/edit/{role}", "/resetmypassword/form", f"/resetpassword/form?pk={user}"]


def zh(app, lazy):
    with app.test_request_context("/"), force_locale("zh"):
        return str(lazy)


@pytest.fixture
def pages(app, ids, province_admin):
    out = {}
    for url in _screens(app, ids):
        resp = province_admin.get(url)
        assert resp.status_code == 200, url
        out[url] = visible(resp)
    return out


def test_no_english_of_fab_stock_screens(pages):
    found = {url: sorted({m for part in parts for m in ENGLISH_RE.findall(part)}
                         | {m for part in parts for m in PHRASES_RE.findall(part)})
             for url, parts in pages.items()}
    assert {url: words for url, words in found.items() if words} == {}


def test_roles_by_chinese_name(app, pages):
    """Users' roles, the role dropdown and the role screens show 县级管理员, not county_admin."""
    county = zh(app, role_label(COUNTY_ADMIN))
    raw = {r.name for r in ROLES}
    for url, parts in pages.items():
        assert not raw & set(re.findall(r"[a-z]+_[a-z]+", " ".join(parts))), url
    for url in ("/users/list/", "/users/add", "/roles/list/"):
        assert county in " ".join(pages[url]), url
    roles = pages["/roles/list/"]
    assert zh(app, role_label(PROVINCE_ADMIN)) in roles and "public" not in roles


def test_role_permissions_read_as_screen_and_action(app, ids, pages):
    """A permission reads as the menu's name of the screen and what it allows: 考生管理：新增."""
    shown = " ".join(pages[next(u for u in pages if u.startswith("/roles/show/"))])
    with app.test_request_context("/"), force_locale("zh"):
        from flask_babel import gettext
        candidates, add = gettext("Candidates"), gettext("Add")
    assert f"{candidates}：" in shown and add in shown.split(f"{candidates}：")[1].split("；")[0]


def test_no_group_screen(app, province_admin):
    """Roles are granted to users directly; an empty 组 screen is not offered."""
    assert province_admin.get("/groups/list/").status_code == 404
    page = " ".join(visible(province_admin.get("/users/list/")))
    assert "Groups" not in page and "/groups/" not in text(province_admin.get("/users/list/"))
    with app.app_context():
        assert "List Groups" not in {c.name for cat in app.appbuilder.menu.get_list()
                                     for c in cat.childs}
