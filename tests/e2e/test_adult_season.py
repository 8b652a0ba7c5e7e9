"""Issue 18's season of the 成人高考 in headless Chromium, each step as its user takes it: a
candidate signs up on the public page, fills in the basic information, the preference and the
confirmation point and confirms online with the pledge; the point's staff confirm on site with
the photo; the candidate pays through the simulated provider; the province numbers the
tickets and the candidate prints the 准考证; the province imports scores and admissions (GBK
CSV as Excel on Chinese Windows saves it), releases them, and batch-prints the 考生登记表.

The season's calendar is data (the module's database opens every step's window all day, so the
test runs at any hour); the journey itself is pages and clicks. Jobs run as the rest of the
suite runs them: inline without Redis, on rq with KAOSHENG_TEST_REDIS (``run_jobs``). The
main screens are saved to KAOSHENG_TOUR_DIR, or a temporary folder."""
import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.printing.models import AdmissionTicket
from app.selfservice import challenge
from app.selfservice.views import _WINDOWS
from app.validators import make_id_number
from e2e.conftest import sign_in
from photo_faces import encode, portrait

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("pdftotext") is None,
                                 reason="pdftotext (poppler-utils) not installed")]

SCREEN = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WAIT = 30_000  # ms: the longest a page may wait for a job on a loaded machine
OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
#: the steps of the season the journey passes through, open all day for the whole test
SEASON = ("self_registration", "confirmation", "payment", "ticket_numbering", "ticket_print")
NAME, USERNAME, PASSWORD = "欧阳晓梅", "ouyang_xm96", "lake-window-amber-58"
CODE = "KS7PW"  # the picture code's answer
BIRTH = dt.date(1996, 7, 19)
ID_NUMBER = make_id_number("410102", BIRTH, 734)
PHONE_NUMBER = "13903716688"
GRADUATED_FROM = "郑州市第十一中学"
INSTITUTION, INSTITUTION_NAME = "10459", "郑州大学"
POINT = "BM410102"


def open_season(app):
    """Every window of the season open all day (no daily hours, no 户籍 condition)."""
    exam = db.session.execute(select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)
                              ).scalar_one()
    for activity in SEASON:
        rows = db.session.execute(select(Phase).where(
            Phase.exam_id == exam.id, Phase.activity == activity)).scalars().all()
        if not rows:
            rows = [Phase(exam_id=exam.id, activity=activity, name=activity, start=OPEN[0],
                          end=OPEN[1])]
            db.session.add_all(rows)
        for row in rows:
            row.start, row.end, row.hours, row.hukou_local = *OPEN, None, None
            row.regions.clear()


@pytest.fixture(scope="module")
def app(module_app):
    """This module's database with the season open; payments through the simulated
    provider."""
    with module_app("adult_season", prepare=open_season) as app:
        app.config.update(PAYMENT_PROVIDER="simulated", ADULT_EXAM_FEE="160",
                          SELF_SIGNUP_RATE_LIMIT="1000 per minute")
        _WINDOWS.clear()  # windows the status page keeps per process
        yield app
    _WINDOWS.clear()


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    folder = os.environ.get("KAOSHENG_TOUR_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("season")
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(page, tour, name):
    """The page (full height); as a small palette PNG for the README's tour."""
    page.wait_for_load_state("networkidle")
    path = tour / f"adult-{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    if os.environ.get("KAOSHENG_TOUR_DIR"):
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


@pytest.fixture
def as_user(browser, live_url):
    """as_user("henan_admin") → a signed-in page of a browser context of its own;
    as_user(None, PHONE) → a page signed in as nobody on a phone-sized screen."""
    contexts = []

    def open_page(username, viewport=SCREEN):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        if username:
            sign_in(page, live_url, username)
            assert "/login" not in page.url, f"{username} could not sign in"
        return page

    yield open_page
    for context in contexts:
        context.close()


def fetch_pdf(page, url):
    """The PDF at ``url``, fetched with the page's cookies (as its link opens it)."""
    resp = page.request.get(url)
    assert resp.status == 200 and resp.body().startswith(b"%PDF"), (url, resp.status)
    return resp.body()


def pdftext(pdf):
    """The PDF's text without white space (the layout breaks lines and columns)."""
    return "".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,
                                  capture_output=True, check=True).stdout.decode().split())


def pictures(pdf):
    """How many pictures the PDF's pages draw (the photo cell: the candidate's photo)."""
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def gbk_csv(head, rows):
    """A table as Excel on Chinese Windows saves “CSV (逗号分隔)”: GBK, CRLF, a title row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["2026年成人高考" + head[0]] + [""] * (len(head[1]) - 1))
    writer.writerow(head[1])
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


def submit(page, selector):
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def candidate(app):
    with app.app_context():
        cand = db.session.execute(select(Candidate).where(Candidate.id_number == ID_NUMBER)
                                  ).scalar_one()
        return cand.id, cand.state, cand.node.code


def ticket_number(app, cid):
    with app.app_context():
        return db.session.execute(select(AdmissionTicket.ticket_number).where(
            AdmissionTicket.candidate_id == cid)).scalar_one()


# --- the steps ---------------------------------------------------------------------------------


def sign_up(me, live_url, monkeypatch, tour):
    """Step 1: from the log-in page to the public sign-up, every field filled, the picture
    code answered (its answer made known: the server runs in this process)."""
    monkeypatch.setattr(challenge, "new_answer", lambda: CODE)
    me.goto(f"{live_url}/me/")
    assert me.url.endswith("/me/login")
    with me.expect_navigation():
        me.click("#signup-link a")
    # one exam takes sign-ups: /me/signup goes straight to its page
    assert re.search(r"/me/signup/\d+$", me.url), me.url
    assert "2026年河南省成人高等学校招生考试" in me.inner_text("h1 + .sub")
    me.check("input[name=notices_read]")
    me.check("input[name=pledge]")
    me.select_option("select[name=id_type]", label="居民身份证")
    me.fill("input[name=id_number]", ID_NUMBER)
    me.fill("input[name=name]", NAME)
    me.select_option("select[name=gender]", label="女")
    me.fill("input[name=birth_date]", BIRTH.isoformat())
    me.fill("input[name=hukou]", "410102")
    me.fill("input[name=phone]", PHONE_NUMBER)
    me.select_option("select[name=county_id]", label="中原区")
    me.fill("input[name=username]", USERNAME)
    me.fill("input[name=password]", PASSWORD)
    me.fill("input[name=password2]", PASSWORD)
    me.fill("input[name=question]", "我的小学校名")
    me.fill("input[name=answer]", "建设路小学")
    me.wait_for_function("() => { const i = document.getElementById('challenge-image');"
                         " return i.complete && i.naturalWidth === 180; }")
    me.fill("input[name=challenge]", CODE.lower())  # letter case does not matter
    shoot(me, tour, "signup")
    submit(me, "#signup-submit")
    assert me.url == f"{live_url}/me/", me.inner_text("body")
    assert USERNAME in me.inner_text("body")  # the welcome names the user name
    assert me.inner_text("h1") == NAME and me.inner_text("#state") == "草稿"


def fill_in(me, live_url, app, tour):
    """Step 2: basic information, preference, point, online confirmation with the pledge."""
    me.click("#adult-info-link")
    form = "#basic-info form"
    for name, label in (("ethnicity", "汉族"), ("political_status", "群众"),
                        ("candidate_feature", "无"), ("enrolment_type", "非定向"),
                        ("education_level", "普通高中"), ("occupation", "专业技术人员"),
                        ("foreign_language", "英语")):
        me.select_option(f"{form} select[name={name}]", label=label)
    for name, value in (("graduation_school", GRADUATED_FROM), ("graduation_date", "2014-07"),
                        ("diploma_number", "41010220140712345"), ("work_start", "2015-03"),
                        ("address", "郑州市中原区建设西路 11 号"), ("postcode", "450007")):
        me.fill(f"{form} input[name={name}]", value)
    submit(me, f"{form} button[type=submit]")
    assert "已保存" in me.inner_text("body"), me.inner_text("body")
    assert me.locator("#missing").count() == 0
    shoot(me, tour, "basic-info")

    me.click("nav a[href$='/me/preferences']")
    form = "#pref-1 form[action$='/preferences/1']"
    me.select_option(f"{form} select[name=level]", label="高起专")
    me.select_option(f"{form} select[name=track]", label="文史类")
    me.select_option(f"{form} select[name=major_category]", label="经济管理类")
    me.select_option(f"{form} select[name=study_form]", label="函授")
    me.fill(f"{form} input[name=school_code]", INSTITUTION)
    me.fill(f"{form} input[name=school_name]", INSTITUTION_NAME)
    me.fill(f"{form} input[name=major_code]", "630302")
    me.fill(f"{form} input[name=major_name]", "会计")
    me.select_option(f"{form} select[name=duration]", "2.5")
    me.check(f"{form} input[name=adjust]")
    submit(me, f"{form} button[type=submit]")
    assert "已保存" in me.inner_text("body"), me.inner_text("body")

    me.click("nav a[href$='/me/point']")
    with app.app_context():
        point_id = db.session.execute(select(Node.id).where(Node.code == POINT)).scalar_one()
    submit(me, f"#point-{point_id} button[type=submit]")
    assert "中原区报名点" in me.inner_text("#current")
    shoot(me, tour, "point")

    me.click("nav a[href$='/me/']")
    assert "诚信考试承诺书" in me.inner_text("#pledge")
    me.check("input[name=pledge]")
    submit(me, "#confirm")
    assert me.inner_text("#state") == "考生已确认", me.inner_text("body")
    assert "中原区报名点" in me.inner_text("body")
    shoot(me, tour, "confirmed")


def confirm_on_site(as_user, live_url, cid, tour):
    """Step 3: at the point, its clerk finds the candidate by the ID number and uploads the
    photo from the ID card reader; its reviewer ticks the document check and the handwritten
    pledge and confirms."""
    clerk = as_user("zy_point")
    clerk.goto(f"{live_url}/adult/onsite/")
    clerk.fill("#onsite-q", ID_NUMBER)
    submit(clerk, "#onsite-search-button")
    assert clerk.inner_text(f"#c{cid} .onsite-state") == "待现场确认", \
        clerk.inner_text(f"#c{cid}")
    submit(clerk, f"#c{cid} a")
    assert clerk.url.endswith(f"/adult/onsite/{cid}")
    assert clerk.locator("[data-check=photo].text-danger").count() == 1
    clerk.set_input_files("#onsite-photo-file", files=[{
        "name": "photo.jpg", "mimeType": "image/jpeg", "buffer": encode(portrait())}])
    submit(clerk, "#onsite-photo-upload button[type=submit]")
    assert clerk.locator("#onsite-error").count() == 0, clerk.inner_text("#onsite-error")
    clerk.wait_for_function("() => { const i = document.getElementById('onsite-photo');"
                            " return i && i.complete && i.naturalWidth === 450; }")
    assert clerk.locator("[data-check=photo].text-success").count() == 1

    point = as_user("zy_point_reviewer")
    point.goto(f"{live_url}/adult/onsite/{cid}")
    assert point.locator("#checklist li.text-danger").count() == 0, \
        point.inner_text("#checklist")
    point.check("#onsite-documents-seen")
    point.check("#onsite-pledge")
    shoot(point, tour, "onsite")
    submit(point, "#onsite-confirm-button")
    assert point.locator("#onsite-error").count() == 0, point.inner_text("#onsite-error")
    assert point.inner_text("#onsite-state") == "已现场确认"
    assert point.locator("#onsite-done").count() == 1


def pay(me, live_url, tour):
    """Step 4: the simulated provider."""
    me.goto(f"{live_url}/me/adult/pay")
    assert me.get_attribute("#payment", "data-state") == "unpaid", me.inner_text("body")
    submit(me, "#pay")
    assert "/me/adult/pay/sim?order=" in me.url
    assert "160.00" in me.inner_text("#order-amount")
    shoot(me, tour, "pay")
    submit(me, "#confirm-payment")
    me.goto(f"{live_url}/me/adult/pay")
    assert me.get_attribute("#payment", "data-state") == "paid"
    assert "已缴费" in me.inner_text("#payment") and me.locator("#pay").count() == 0


def number_tickets(province, live_url, eid, run_jobs, tour):
    """Step 5a: the province runs the numbering job."""
    province.goto(f"{live_url}/adult/numbering/?exam={eid}")
    submit(province, "#numbering-run button[type=submit]")
    assert re.search(r"/adult/numbering/job/\d+$", province.url)
    run_jobs()
    province.wait_for_selector("#numbering-result", timeout=WAIT)
    assert province.inner_text("#numbering-state") == "完成。"
    # the season's only paid candidate confirmed on site: one seat, one ticket
    assert re.search(r"本次生成准考证数\s+1\b", province.inner_text("#numbering-result"))
    shoot(province, tour, "numbering")


def assert_imported(page, source):
    """The import report: the file's one row added, none refused."""
    report = page.inner_text("body")
    assert source in report and re.search(r"新增\s*1\s*条", report), report
    assert re.search(r"拒绝\s*0\s*条", report), report


def import_results(province, live_url, eid, number, idn, ticket, tour):
    """Step 6a: scores and admissions from GBK CSV files, then released."""
    province.goto(f"{live_url}/adult/results/?exam={eid}")
    scores = gbk_csv(("成绩", ("考生号", "准考证号", "身份证号", "姓名", "语文", "数学", "外语",
                               "特征分", "总分", "档案分")),
                     [(number or "", ticket, idn, NAME, "88", "96.5", "71", "", "255.5",
                       "255.5")])
    province.set_input_files("#file-scores", files=[{
        "name": "成人高考成绩.csv", "mimeType": "text/csv", "buffer": scores}])
    submit(province, "#upload-scores button[type=submit]")
    shoot(province, tour, "scores-report")
    assert_imported(province, "成人高考成绩.csv")

    province.goto(f"{live_url}/adult/results/?exam={eid}")
    admissions = gbk_csv(("录取", ("考生号", "准考证号", "身份证号", "院校代码", "院校名称",
                                   "专业代码", "专业名称", "层次", "学习形式", "录取日期")),
                         [(number or "", ticket, idn, INSTITUTION, INSTITUTION_NAME, "630302",
                           "会计", "高起专", "函授", "2026/12/5")])
    province.set_input_files("#file-admissions", files=[{
        "name": "成人高考录取.csv", "mimeType": "text/csv", "buffer": admissions}])
    submit(province, "#upload-admissions button[type=submit]")
    assert_imported(province, "成人高考录取.csv")

    province.goto(f"{live_url}/adult/results/?exam={eid}")
    assert province.inner_text("#count-scores") == "1"
    assert province.inner_text("#count-admissions") == "1"
    submit(province, "#release-scores-form button[type=submit]")
    submit(province, "#release-admission-form button[type=submit]")
    assert province.get_attribute("#release-scores", "data-released") == "yes"
    assert province.get_attribute("#release-admission", "data-released") == "yes"


def print_register_forms(province, live_url, eid, run_jobs, tour):
    """Step 7: the province's batch print of the 考生登记表 of the point's admitted."""
    province.goto(f"{live_url}/adult/register-forms/")
    province.select_option("select[name=exam]", str(eid))
    province.select_option("select[name=node]", label="中原区报名点")
    submit(province, "#register-batch button[type=submit]")
    assert re.search(r"/print/batch/\d+$", province.url), province.inner_text("body")
    run_jobs()
    province.wait_for_selector("#download:not([hidden])", state="attached", timeout=WAIT)
    shoot(province, tour, "register-batch")
    return fetch_pdf(province, live_url + province.get_attribute("#download", "href"))


def test_adult_season(app, live_url, as_user, run_jobs, monkeypatch, tour):
    """Issue 18's done-when: sign-up to the batch-printed 考生登记表, one candidate."""
    with app.app_context():
        eid = db.session.execute(select(Exam.id).where(Exam.kind == ADULT, Exam.year == 2026)
                                 ).scalar_one()
    me = as_user(None, PHONE)
    sign_up(me, live_url, monkeypatch, tour)
    cid, state, unit = candidate(app)
    assert (state, unit) == ("draft", "410102")  # a draft at the county chosen
    fill_in(me, live_url, app, tour)
    assert candidate(app)[1:] == ("confirmed", POINT)

    confirm_on_site(as_user, live_url, cid, tour)
    me.goto(f"{live_url}/me/")
    assert me.get_attribute("#state", "data-state") == "school_approved", me.inner_text("body")
    pay(me, live_url, tour)

    province = as_user("henan_admin")
    number_tickets(province, live_url, eid, run_jobs, tour)
    ticket = ticket_number(app, cid)
    assert re.fullmatch(r"26410102\d{7}", ticket), ticket  # 中原区's own site
    me.goto(f"{live_url}/me/")
    href = me.get_attribute("#ticket a", "href")
    assert href and href.endswith("/me/forms/ticket.pdf"), me.inner_text("body")
    shoot(me, tour, "ticket")
    ticket_text = pdftext(fetch_pdf(me, live_url + href))
    assert ticket in ticket_text and NAME in ticket_text, ticket_text[:400]

    with app.app_context():
        number = db.session.get(Candidate, cid).candidate_number
    import_results(province, live_url, eid, number, ID_NUMBER, ticket, tour)
    me.goto(f"{live_url}/me/")
    scores, admission = me.inner_text("#my-scores"), me.inner_text("#my-admission")
    assert "255.5" in scores and "96.5" in scores, scores
    assert INSTITUTION_NAME in admission and "会计" in admission and "2026-12-05" in admission
    shoot(me, tour, "results")

    pdf = print_register_forms(province, live_url, eid, run_jobs, tour)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # the point's one admitted candidate
    assert pictures(pdf) == 1  # the photo taken on site
    register = pdftext(pdf)
    assert "考生登记表" in register and NAME in register, register[:400]
    assert GRADUATED_FROM in register and f"{INSTITUTION}{INSTITUTION_NAME}" in register
    assert "255.5" in register and "第一志愿高起专文史类10459郑州大学630302会计函授2.5是" in register
