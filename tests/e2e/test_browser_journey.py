"""The whole journey of a 中招 record in headless Chromium, as each demo role: the province
administrator's home page, a county administrator creating a school user, that user importing a
GBK CSV saved the way Excel on Chinese Windows saves it (ID numbers in a Text column), uploading
a portrait and issuing an activation code, the candidate confirming on /me/, the school, county
and city reviews, printing, signing, the lock, the unlock with a reason and the audit trail.
Each role is offered only the review steps it may take on the record now.

Jobs run the way a deployment without Redis runs them (``JOBS_LOCAL="thread"``): a batch print
returns at once and its page follows the job. The main screens are saved at 1366×768 for the
README's tour (``KAOSHENG_TOUR_DIR=docs/tour``; a temporary folder otherwise)."""
import csv
import datetime as dt
import io
import os
import re
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.candidates.models import Candidate
from app.extensions import db
from app.jurisdiction import Node
from app.printing import tasks as print_tasks
from app.validators import make_id_number
from e2e.conftest import sign_in
from helpers import exam_id
from photo_faces import encode, portrait

pytestmark = pytest.mark.browser

SCREEN = {"width": 1366, "height": 768}
WAIT = 30_000  # ms: the longest a page may take to follow a job on a loaded machine
#: the school user the county administrator creates
CLERK, CLERK_PASSWORD = "zy_journey_clerk", "Journey-pass-2026"
CANDIDATE_PASSWORD = "river-stone-blue-42"
UNLOCK_REASON = "监护人电话登记错误，需更正"
#: pupils of 五十七中 born in 中原区 (sequence numbers no demo candidate has)
PUPILS = [("李雨桐", make_id_number("410102", dt.date(2011, 5, 3), 962), "女", "13803710001"),
          ("王子轩", make_id_number("410102", dt.date(2011, 8, 21), 971), "男", "13803710002"),
          ("赵欣怡", make_id_number("410102", dt.date(2011, 2, 14), 982), "女", "13803710003")]
#: what each review level's steps are called, and the steps no reviewer of another level sees
LEVELS = {"school": ("审核通过（学校/报名点）", "退回（学校/报名点）"),
          "county": ("审核通过（县级）", "退回（县级）"),
          "city": ("审核通过（市级）", "退回（市级）")}
SIGN, UNLOCK = "标记已签字并锁定", "解锁"


@pytest.fixture(scope="module")
def app(module_app):
    """This module's own database, with jobs run in the app's background threads and no Redis
    (the rest of the suite runs them inline, or on rq when KAOSHENG_TEST_REDIS is set)."""
    with module_app("browser_journey") as app:
        app.config.update(REDIS_URL="", JOBS_LOCAL="thread", JOBS_THREADS=2)
        yield app


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """Where the screenshots go: KAOSHENG_TOUR_DIR (docs/tour for the README) or a temporary
    folder, so an ordinary run leaves the tree clean."""
    folder = os.environ.get("KAOSHENG_TOUR_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("tour")
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(page, tour, name):
    """The visible part of the page at 1366×768, saved as a small palette PNG."""
    page.wait_for_load_state("networkidle")
    path = tour / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled")
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


@pytest.fixture
def as_user(browser, live_url):
    """as_user("zy_admin") → a page of a browser context of its own (its own cookies), signed
    in; as_user(None) → one signed in as nobody (a candidate's phone)."""
    contexts = []

    def open_page(username, password=None):
        context = browser.new_context(locale="zh-CN", viewport=SCREEN)
        contexts.append(context)
        page = context.new_page()
        if username:
            sign_in(page, live_url, username, *([password] if password else []))
            assert "/login" not in page.url, f"{username} could not sign in"
        return page

    yield open_page
    for context in contexts:
        context.close()


def gbk_csv(rows):
    """A registry list as Excel on Chinese Windows saves “CSV (逗号分隔)”: GBK, CRLF, and the
    ID numbers whole because their column was formatted as Text before they were typed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "身份证号", "性别", "民族", "考生类别", "联系电话", "班级",
                     "监护人姓名", "与考生关系", "监护人电话"])
    for name, id_number, gender, phone in rows:
        writer.writerow([name, id_number, gender, "汉族", "学籍户籍一致", phone, "九年级（3）班",
                         name[0] + "建国", "父亲", "1390371" + phone[-4:]])
    return out.getvalue().encode("gbk")


def unreadable(text):
    """What an auditor could not read in ``text``: English words (user names, codes and paths
    aside, as tests/test_zh_menu_pages.py counts them), table names, Python dicts, unit paths."""
    words = [t for t in re.findall(r"[A-Za-z][A-Za-z0-9_.@/-]*", text)
             if not (t.isupper() or re.search(r"[\d_.@/-]", t))]
    return words + re.findall(r"\bks_\w+|\{|/\d{6}/", text)


def candidate_id(app, id_number):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id).where(Candidate.id_number == id_number)).scalar_one()


def record(app, cid):
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        return cand.state, cand.locked


def offered_steps(page, live_url, cid):
    """The review steps the review page of record ``cid`` offers as buttons."""
    page.goto(f"{live_url}/review/show/{cid}")
    return page.eval_on_selector_all("#ks-steps a[href*='/review/confirm/']",
                                     "as => as.map(a => a.textContent.trim())")


def menu_actions(page):
    """The 操作 menu of the list page open in ``page``: the names of its actions."""
    return page.eval_on_selector_all(
        "ul.dropdown-menu a[class$='_menu_item']",
        "as => as.map(a => a.className.replace(/_menu_item$/, ''))")


def run_step(page, live_url, cid, label, **fields):
    """Click the step's button on the record's review page, fill in the confirmation page and
    send it: one record done, none skipped."""
    if not page.url.endswith(f"/review/show/{cid}"):
        page.goto(f"{live_url}/review/show/{cid}")
    page.click(f"#ks-steps a:text-is('{label}')")
    page.wait_for_selector("#review-confirm")
    for name, value in fields.items():
        page.fill(f"#review-confirm [name={name}]", value)
    with page.expect_navigation():
        page.click("#review-confirm button[type=submit]")
    assert page.locator("#review-result .alert-success").count() == 1, page.inner_text("body")
    assert page.locator("#review-skipped").count() == 0


def test_journey(app, live_url, as_user, tour):
    # --- the province: its home page shows every unit's progress as bars ----------------------
    province = as_user("henan_admin")  # signed in on the home page
    assert province.locator(".ks-progress .ks-bar").count() > 0
    assert "郑州市" in province.inner_text(".ks-progress")
    shoot(province, tour, "home")

    # --- 中原区 creates the school's data-entry user ------------------------------------------
    county = as_user("zy_admin")
    county.goto(f"{live_url}/users/add")
    county.fill("input[name=username]", CLERK)
    county.fill("input[name=first_name]", "采集")
    county.fill("input[name=last_name]", "李老师")
    county.select_option("select[name=node]", label="郑州市第五十七中学")
    county.select_option("select[name=roles]", label="学校采集员")
    county.fill("input[name=password]", CLERK_PASSWORD)
    county.fill("input[name=conf_password]", CLERK_PASSWORD)
    with county.expect_navigation():
        county.click("button[type=submit], input[type=submit]")

    # --- the new user imports the school's list, saved by Excel as GBK CSV --------------------
    clerk = as_user(CLERK, CLERK_PASSWORD)
    clerk.goto(f"{live_url}/registry-import/")
    clerk.select_option("select[name=exam]", str(exam_id(app)))
    clerk.set_input_files("input[name=file]", files=[{
        "name": "九年级3班.csv", "mimeType": "text/csv", "buffer": gbk_csv(PUPILS)}])
    with clerk.expect_navigation():
        clerk.click("#import-upload button[type=submit]")
    # the mapping page read the GBK headers: 姓名 is offered for the name
    assert "姓名" in clerk.inner_text("#col_name option[selected]")
    with clerk.expect_navigation():
        clerk.click("#import-mapping button[type=submit]")
    clerk.wait_for_selector("#import-progress[data-final=yes]", timeout=WAIT)
    assert clerk.inner_text("#created") == "3" and clerk.inner_text("#rejected") == "0"
    shoot(clerk, tour, "import")
    name, id_number, _gender, phone = PUPILS[0]
    cid = candidate_id(app, id_number)

    clerk.goto(f"{live_url}/candidateview/list/?_flt_0_class_name=九年级（3）班")
    assert all(p[0] in clerk.inner_text("body") for p in PUPILS)
    shoot(clerk, tour, "candidates")

    # --- a portrait through the capture page --------------------------------------------------
    clerk.goto(f"{live_url}/photos/candidate/{cid}")
    clerk.set_input_files("form[action*='kind=photo'] input[type=file]", files=[{
        "name": "photo.jpg", "mimeType": "image/jpeg", "buffer": encode(portrait())}])
    with clerk.expect_navigation():
        clerk.click("form[action*='kind=photo'] button[type=submit]")
    clerk.wait_for_function("() => { const i = document.querySelector("
                            "\"[data-kind=photo] img.ks-current\");"
                            " return i && !i.hidden && i.complete && i.naturalWidth === 450; }")
    shoot(clerk, tour, "photo")

    # --- the activation code, and the candidate confirming on /me/ ----------------------------
    clerk.goto(f"{live_url}/activation/{cid}")
    clerk.click("form[method=post] button[type=submit]")
    code = clerk.get_attribute("#activation-code", "data-code")
    me = as_user(None)
    me.goto(f"{live_url}/me/activate")
    me.fill("input[name=id_number]", id_number)
    me.fill("input[name=code]", code)
    me.fill("input[name=password]", CANDIDATE_PASSWORD)
    me.fill("input[name=password2]", CANDIDATE_PASSWORD)
    me.fill("input[name=question]", "我的小学校名")
    me.fill("input[name=answer]", "建设路小学")
    me.click("button[type=submit]")
    me.wait_for_url(f"{live_url}/me/")
    assert me.inner_text("h1") == name
    me.click("#confirm")
    me.wait_for_load_state("networkidle")
    assert me.inner_text("#state") == "考生已确认"

    # --- the school: the data-entry user may confirm or sign, never approve -------------------
    steps = offered_steps(clerk, live_url, cid)
    assert not {s for level in LEVELS.values() for s in level} & set(steps)
    assert UNLOCK not in steps

    # --- school → county → city review, each level offered its own steps only -----------------
    for username, level, fields in (
            ("zy_school_reviewer", "school", {"principal_name": "张校长"}),
            ("zy_reviewer", "county", {}), ("zz_reviewer", "city", {})):
        reviewer = as_user(username)
        reviewer.goto(f"{live_url}/review/list/")
        # the list opens on the records waiting for this level, this one among them
        assert name in reviewer.inner_text("body"), username
        menu = menu_actions(reviewer)
        assert {f"{level}_approve", f"{level}_reject"} <= set(menu), (username, menu)
        assert not [a for a in menu if re.match(r"(school|county|city|province)_", a)
                    and not a.startswith(level)], (username, menu)
        assert "unlock" not in menu and "mark_signed" not in menu
        if level == "school":
            reviewer.locator("button.dropdown-toggle", has_text="操作").click()  # the menu, open
            shoot(reviewer, tour, "review-list")
        assert offered_steps(reviewer, live_url, cid) == list(LEVELS[level]), username
        # the reviewer compares the photo with the fields, and sees the history
        assert reviewer.eval_on_selector("img.ks-picture-photo",
                                         "i => i.complete && i.naturalWidth") > 0
        page_text = reviewer.inner_text("body")
        assert name in page_text and phone in page_text and name[0] + "建国" in page_text
        # the timeline: the candidate's confirmation, and each level before this one
        timeline = reviewer.inner_text("#review-timeline")
        assert "确认本人信息" in timeline
        assert ("张校长" in timeline) == (level != "school")
        if level == "school":
            shoot(reviewer, tour, "review")
        run_step(reviewer, live_url, cid, LEVELS[level][0], **fields)
    assert record(app, cid) == ("city_approved", False)
    reviewer.goto(f"{live_url}/review/show/{cid}")
    timeline = reviewer.inner_text("#review-timeline")
    assert all(s in timeline for s in ("审核通过（学校/报名点）", "审核通过（县级）", "审核通过（市级）"))

    # --- the school prints the form and marks it signed: the record locks ---------------------
    pdf = clerk.request.get(f"{live_url}/print/registration/{cid}.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert SIGN in offered_steps(clerk, live_url, cid)
    run_step(clerk, live_url, cid, SIGN)
    assert record(app, cid) == ("city_approved", True)

    # a locked record's edit opens read-only, saying who locked it and how to unlock it
    clerk.goto(f"{live_url}/candidateview/edit/{cid}")
    banner = clerk.inner_text("#ks-locked-banner")
    assert "只读" in banner and CLERK in banner
    assert clerk.locator("form input[name=name]").count() == 0
    shoot(clerk, tour, "candidate")

    # only an upper level's administrator unlocks: not a reviewer, nor the school
    assert UNLOCK not in offered_steps(reviewer, live_url, cid)
    assert UNLOCK not in offered_steps(clerk, live_url, cid)
    assert offered_steps(county, live_url, cid) == [UNLOCK]
    run_step(county, live_url, cid, UNLOCK, reason=UNLOCK_REASON)
    assert record(app, cid) == ("city_approved", False)

    # --- the candidate sees the state, the unlock and its reason ------------------------------
    me.goto(f"{live_url}/me/")
    assert me.inner_text("#unlock-reason") == UNLOCK_REASON
    shoot(me, tour, "me")

    # --- the audit trail reads in Chinese: the candidate, the action, fields by their labels --
    auditor = as_user("henan_auditor")
    auditor.goto(f"{live_url}/auditlogview/list/?_flt_0_candidate_id={name}")
    shoot(auditor, tour, "audit")
    rows = auditor.eval_on_selector_all("table.table tr:has(a[href*='/auditlogview/show/'])",
                                        "trs => trs.map(tr => tr.innerText)")
    [unlocked] = [row for row in rows if UNLOCK_REASON in row]
    assert f"{name}（郑州市第五十七中学）" in unlocked and "zy_admin" in unlocked
    assert "已锁定" in unlocked and unreadable(unlocked) == []
    # and so does the rest of the record's history (import, photo, activation, prints)
    assert {row: unreadable(row) for row in rows if unreadable(row)} == {}
    auditor.click(f"table.table tr:has-text('{UNLOCK_REASON}') a[href*='/auditlogview/show/']")
    changes = auditor.inner_text("table.audit-changes")
    assert re.search(r"已锁定\s+是\s+否", changes), changes
    assert unreadable(changes) == []


def _school_candidates(app, count):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id).join(Node).where(Candidate.exam_id == exam_id(app),
                                                  Node.code == "41010201")
            .order_by(Candidate.id).limit(count)).scalars().all()


def test_batch_print_shows_progress_without_redis(app, live_url, as_user, tour, monkeypatch):
    """The job runs in a background thread of the app: the page opens while it runs, its bar
    and counts move (the job reports every PROGRESS_EVERY forms), and it ends with the
    download. The forms after the first report wait until the page has shown it."""
    release = threading.Event()
    rendered = []
    real = print_tasks.render_form_with_code

    def render(*args, **kw):
        if len(rendered) == print_tasks.PROGRESS_EVERY:
            assert release.wait(WAIT / 1000), "the test never released the job"
        rendered.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(print_tasks, "render_form_with_code", render)
    ids = _school_candidates(app, print_tasks.PROGRESS_EVERY + 3)
    page = as_user("zy_school")
    try:
        page.goto(f"{live_url}/print/batch?ids={','.join(map(str, ids))}")
        page.select_option("select[name=kind]", "registration")
        with page.expect_navigation():
            page.click("#batch-form button[type=submit]")
        assert re.search(r"/print/batch/\d+$", page.url)
        page.wait_for_function(f"() => document.querySelector('#done').textContent.trim()"
                               f" === '{print_tasks.PROGRESS_EVERY}'", timeout=WAIT)
        percent = int(page.inner_text("#bar").rstrip("%"))
        assert 0 < percent < 100 and page.get_attribute("#download", "hidden") is not None
        assert page.inner_text("#total") == str(len(ids))
        shoot(page, tour, "print-progress")
    finally:
        release.set()
    page.wait_for_selector("#download:not([hidden])", state="attached", timeout=WAIT)
    assert page.inner_text("#bar") == "100%" and page.inner_text("#done") == str(len(ids))
    pdf = page.request.get(live_url + page.get_attribute("#download", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")


#: Read the rendered page (after its scripts ran) as tests/test_zh_menu_pages.py reads the
#: HTML: visible text, titles and placeholders, <code>, scripts and styles aside; the English
#: words are the tokens that are not codes (upper case), user names, paths or file names.
ENGLISH_WORDS = """allowed => {
  const hidden = 'script, style, code, noscript';
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(hidden)) { parts.push(node.textContent); }
  }
  document.querySelectorAll('[title], [placeholder]').forEach(el => {
    if (!el.closest(hidden)) { parts.push(el.title || '', el.placeholder || ''); }
  });
  const words = new Set();
  (parts.join(' ').match(/[A-Za-z][A-Za-z0-9_.@\\/-]*/g) || []).forEach(token => {
    if (token !== token.toUpperCase() && !/[\\d_.@\\/-]/.test(token)
        && !allowed.includes(token)) { words.add(token); }
  });
  return [...words].sort();
}"""
ALLOWED = ["English", "jpg", "jpeg", "xlsx", "csv", "pdf", "zip", "dbf", "Excel", "WPS",
           "Visual", "FoxPro", "WebP"]


@pytest.mark.parametrize("username, paths", [
    ("zy_admin", ["/", "/candidateview/list/", "/candidateview/show/{cid}", "/review/list/",
                  "/review/show/{cid}", "/users/list/", "/users/add"]),
    ("zy_school", ["/registry-import/", "/print/batch", "/photos/candidate/{cid}",
                   "/candidateview/edit/{cid}"]),
])
def test_main_pages_read_in_chinese_in_the_browser(app, live_url, as_user, username, paths):
    """No English word of FAB's stock screens is left once the page's scripts have run."""
    [cid] = _school_candidates(app, 1)
    page = as_user(username)
    found = {}
    for path in paths:
        url = live_url + path.format(cid=cid)
        assert page.goto(url).status == 200, url
        words = page.evaluate(ENGLISH_WORDS, ALLOWED)
        if words:
            found[path] = words
    assert found == {}


def test_the_browser_walk_finds_english(page):
    page.set_content("<p>Granted By</p><p title='Remove all'>ZJHM zy_admin 中文</p>"
                     "<code>name</code><script>var x = 'Hidden';</script>")
    assert page.evaluate(ENGLISH_WORDS, ALLOWED) == ["By", "Granted", "Remove", "all"]
