"""Every menu page a staff user opens reads in Chinese: the visible text (tooltips and
placeholders included) holds no English word. Codes (ZJHM, KSH, GBK…), file formats, user names
(with their underscore), paths, <code> (headers a file may use) and the language menu's
"English" are not words of the interface."""
import re
from html.parser import HTMLParser

import pytest

USERS = ("henan_admin", "zz_admin", "zy_admin", "zy_school", "zy_reviewer", "zy_point",
         "henan_auditor")
#: not interface words: the language menu, file extensions, the programs clerks use by name
ALLOWED = {"English", "jpg", "jpeg", "xlsx", "csv", "pdf", "zip", "dbf", "Excel", "WPS", "Visual",
           "FoxPro"}
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.@/-]*")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self.hidden += 1
        self.parts += [v for k, v in attrs if k in ("title", "placeholder") and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def english_words(html):
    parser = VisibleText()
    parser.feed(html)
    return {t for part in parser.parts for t in TOKEN.findall(part)
            if not (t.isupper() or re.search(r"[\d_.@/-]", t) or t in ALLOWED)}


def menu_urls(app):
    with app.test_request_context():
        return sorted({item.get_url() for category in app.appbuilder.menu.get_list()
                       for item in (category.childs or [category])
                       if item.name != "-" and (item.get_url() or "").startswith("/")})


def test_the_walk_finds_english():
    assert english_words("<td>Granted By</td><td>ZJHM</td><td>zy_admin</td>"
                         "<td><code>name</code> photos/1.jpg</td>") == {"Granted", "By"}


@pytest.mark.parametrize("username", USERS)
def test_menu_pages_read_in_chinese(app, login, username):
    client = login(username)
    found = {}
    for url in menu_urls(app):
        resp = client.get(url)
        if resp.status_code == 200:
            words = english_words(resp.get_data(as_text=True))
            if words:
                found[url] = sorted(words)
    assert found == {}
