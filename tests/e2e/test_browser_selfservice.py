"""Candidate self-service in a real browser: the school issues a code, the candidate activates
the account on a phone-sized screen, adds a guardian and a phone number, and confirms; a 成人高考
candidate fills in a preference, chooses a confirmation point, accepts the pledge and confirms."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.validators import make_id_number
from app.demo import DEMO_PASSWORD
from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node

pytestmark = pytest.mark.browser


def new_candidate(app):
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        birth = dt.date(2011, 3, 15)
        cand = Candidate(exam=exam, node=node, name="浏览器考生", gender="2", birth_date=birth,
                         id_number=make_id_number("410102", birth, 888), category="01")
        db.session.add(cand)
        db.session.commit()
        return cand.id, cand.id_number


def staff_issues_code(page, live_url, cid):
    page.goto(f"{live_url}/login/")
    page.fill("input[name=username]", "zy_school")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_url}/activation/{cid}")
    page.click("form[method=post] button[type=submit]")
    code = page.get_attribute("#activation-code", "data-code")
    assert code and len(code) == 8
    return code


def activate_on_phone(me, live_url, id_number, code, password="river-stone-blue-42"):
    me.goto(f"{live_url}/me/activate")
    me.fill("input[name=id_number]", id_number)
    me.fill("input[name=code]", code)
    me.fill("input[name=password]", password)
    me.fill("input[name=password2]", password)
    me.fill("input[name=question]", "我的小学校名")
    me.fill("input[name=answer]", "建设路小学")
    me.click("button[type=submit]")
    me.wait_for_url(f"{live_url}/me/")


def test_activation_completion_and_confirmation(app, browser, page, live_url):
    cid, id_number = new_candidate(app)
    code = staff_issues_code(page, live_url, cid)

    # the candidate, on a phone, in a separate browser context (no staff cookie)
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    me = context.new_page()
    try:
        me.goto(f"{live_url}/me/")
        assert me.url.endswith("/me/login")
        me.click("a[href$='/me/activate']")
        me.fill("input[name=id_number]", id_number)
        me.fill("input[name=code]", code)
        me.fill("input[name=password]", "20110315abc")  # birth date: refused
        me.fill("input[name=password2]", "20110315abc")
        me.fill("input[name=question]", "我的小学校名")
        me.fill("input[name=answer]", "建设路小学")
        me.click("button[type=submit]")
        assert "身份证号、出生日期或姓名" in me.inner_text("body")
        me.fill("input[name=password]", "river-stone-blue-42")
        me.fill("input[name=password2]", "river-stone-blue-42")
        me.fill("input[name=answer]", "建设路小学")
        me.click("button[type=submit]")
        me.wait_for_url(f"{live_url}/me/")
        assert me.inner_text("#state") == "草稿"
        assert "请填写本人手机号码" in me.inner_text("body")

        me.click("nav a[href$='/me/info']")
        me.fill("#contact input[name=phone]", "13812345678")
        me.click("#contact button[type=submit]")
        assert "已保存" in me.inner_text("body")
        me.fill("#guardian-add input[name=name]", "王建国")
        me.select_option("#guardian-add select[name=relation]", label="父亲")
        me.fill("#guardian-add input[name=phone]", "13987654321")
        me.click("#guardian-add button[type=submit]")
        assert "王建国" in me.inner_html("#guardians")

        me.click("nav a[href$='/me/']")
        me.click("#confirm")
        me.wait_for_load_state("networkidle")
        assert me.inner_text("#state") == "考生已确认"
        assert "信息已确认" in me.inner_text("body")
        assert me.locator("#confirm").count() == 0
        # the page stays small: no framework, no CDN
        assert me.evaluate("document.documentElement.outerHTML.length") < 8000
        assert me.evaluate("[...document.querySelectorAll('link[href],script[src]')]"
                           ".every(e => (e.href || e.src).startsWith(location.origin))")
    finally:
        context.close()
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.state == "confirmed" and cand.phone == "13812345678"
        assert [g.name for g in cand.guardians] == ["王建国"]


def test_adult_candidate_fills_preferences_chooses_point_and_confirms(app, browser, page,
                                                                       live_url, phase):
    import datetime as dt

    phase("self_registration", dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1), kind=ADULT)
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)).scalar_one()
        school = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        point_id = db.session.execute(select(Node.id).where(Node.code == "BM410102")).scalar_one()
        birth = dt.date(1996, 8, 8)
        cand = Candidate(exam=exam, node=school, name="成考浏览器", gender="2", birth_date=birth,
                         id_number=make_id_number("410102", birth, 886), category="01",
                         phone="13612345678",
                         # 基本信息 filled (the browser fills that page in test_adult_season.py)
                         ethnicity="01", political_status="13", candidate_feature="02",
                         enrolment_type="01", education_level="60",
                         graduation_school="郑州市第一中学", graduation_date=dt.date(2014, 6, 30),
                         diploma_number="4101022014000123", occupation="4",
                         work_start=dt.date(2015, 3, 1), foreign_language="1",
                         address="郑州市中原区建设路1号", postcode="450000")
        db.session.add(cand)
        db.session.commit()
        cid, id_number = cand.id, cand.id_number
    code = staff_issues_code(page, live_url, cid)

    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    me = context.new_page()
    try:
        activate_on_phone(me, live_url, id_number, code)
        assert "请填报第一志愿" in me.inner_text("body")
        me.click("nav a[href$='/me/preferences']")
        form = "#pref-1 form[action$='/preferences/1']"
        me.select_option(f"{form} select[name=level]", label="高起本")
        me.select_option(f"{form} select[name=track]", label="文史类")
        me.select_option(f"{form} select[name=major_category]", label="经济管理类")
        me.select_option(f"{form} select[name=study_form]", label="函授")
        me.fill(f"{form} input[name=school_code]", "10459")
        me.fill(f"{form} input[name=school_name]", "郑州大学")
        me.fill(f"{form} input[name=major_code]", "120203")
        me.fill(f"{form} input[name=major_name]", "会计学")
        me.click(f"{form} button[type=submit]")
        assert "已保存" in me.inner_text("body")

        me.click("nav a[href$='/me/point']")
        me.click(f"#point-{point_id} button[type=submit]")
        assert "中原区报名点" in me.inner_text("#current")

        me.click("nav a[href$='/me/']")
        assert "诚信考试承诺书" in me.inner_text("#pledge")
        me.check("input[name=pledge]")
        me.click("#confirm")
        me.wait_for_load_state("networkidle")
        assert me.inner_text("#state") == "考生已确认"
        assert "中原区报名点" in me.inner_text("body")
        assert me.locator("a[href$='/me/forms/process.pdf']").count() == 1
    finally:
        context.close()
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.state == "confirmed" and cand.node.code == "BM410102"
        assert [(p.seq, p.school_code) for p in cand.preferences] == [(1, "10459")]
        assert db.session.execute(select(AuditLog).where(
            AuditLog.action == "pledge", AuditLog.row_id == cid)).scalar_one() is not None
