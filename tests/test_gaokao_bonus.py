"""高考 优惠 through HTTP (seed 002 §三.3): the 民审 chain (candidate prints the 民审表, county
records it with its scan, city collects, province approves with the points or rejects with a
reason) and the other bonus / reduced-score policies (city enters, only the province
approves); scans refused when not PDF/JPEG or too large, with nothing stored; scoping; the
printed 民审表 / 优惠资格审查表; the archive part "bonus".

The module builds its own database: its 高考 candidates must not change other modules' counts.
"""
import datetime as dt
import io
import shutil
import subprocess

import pytest
from sqlalchemy import delete, func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.extensions import db
from app import filestore
from app.gaokao import archive
from app.gaokao.bonus_models import BonusClaim
from app.gaokao.bonus_rules import SCANS
from app.printing.render import BATCH_KINDS
from conftest import Client
from factories import _candidate
from helpers import activate, issue, text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) not installed")

#: key → (school, name, ethnicity)
PEOPLE = {"miao": ("41010201", "苗优惠", "06"), "han": ("41010201", "汉考生", "01"),
          "hui": ("41010201", "回加分", "03"), "zhao": ("41010301", "赵邻县", "06"),
          "direct": ("410100S1", "郑直属", "12")}


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("gbonus") as app:
        app.people = {}
        for i, (key, (school, name, eth)) in enumerate(PEOPLE.items()):
            made = _candidate(app, school, GAOKAO, 2026, name, dt.date(2008, 5, 1 + i), "1",
                              ethnicity=eth, phone="13800001111", study=True,
                              guardian="家长")
            app.people[key] = made
            with app.app_context():
                c = db.session.get(Candidate, made.id)
                c.candidate_number = f"2641010{i:07d}"
                db.session.commit()
        yield app


def cand(app, key):
    with app.app_context():
        return db.session.get(Candidate, app.people[key].id)


def number(app, key):
    return cand(app, key).candidate_number


def claim(app, key, policy):
    with app.app_context():
        return db.session.execute(select(BonusClaim).where(
            BonusClaim.candidate_id == app.people[key].id,
            BonusClaim.policy == policy)).scalar_one_or_none()


def reset(app, key):
    with app.app_context():
        db.session.execute(delete(BonusClaim).where(
            BonusClaim.candidate_id == app.people[key].id))
        db.session.commit()


def add(client, route, data, scan=PDF, name="民审表.pdf"):
    client.refresh_token(f"{route}/add")
    form = dict(data)
    if scan is not None:
        form["scan"] = (io.BytesIO(scan), name)
    return client.post(f"{route}/add", form, content_type="multipart/form-data")


def step(client, route, claim_id, action, **form):
    client.refresh_token(f"{route}/show/{claim_id}")
    version = claim_version(client.app, claim_id)
    data = {"action": action, "version": version, **form}
    return client.post(f"{route}/step/{claim_id}", data, content_type="multipart/form-data")


def claim_version(app, claim_id):
    with app.app_context():
        return db.session.get(BonusClaim, claim_id).version


def state(app, claim_id):
    with app.app_context():
        row = db.session.get(BonusClaim, claim_id)
        return row.state if row else None


def part_state(app, key, part="bonus"):
    with app.app_context():
        return archive.states_of([app.people[key].id])[app.people[key].id][part]


def page(client, url):
    return text(client.get(url, follow_redirects=True))


def recorded(app, county_admin, key="miao"):
    reset(app, key)
    resp = add(county_admin, "/gaokao-minority", {
        "candidate_ref": number(app, key), "policy": "MZ", "note": "户口簿、民族成分证明"})
    assert resp.status_code == 302, text(resp)
    return claim(app, key, "MZ")


# --- 民审 ------------------------------------------------------------------------------------

def test_minority_chain_each_step_by_its_role(app, county_admin, city_admin, province_admin,
                                              login):
    reset(app, "miao")
    assert part_state(app, "miao") == archive.NOT_REQUIRED  # nothing claimed
    row = recorded(app, county_admin)
    assert row.state == "submitted" and row.scan and row.scan_type == "application/pdf"
    assert part_state(app, "miao") == archive.ENTERED
    # The scan comes back as stored.
    resp = county_admin.get(f"/gaokao-minority/scan/{row.id}")
    assert resp.status_code == 200 and resp.data == PDF
    # Nobody but the province approves; the city's step is the city's.
    for client in (county_admin, city_admin):
        step(client, "/gaokao-minority", row.id, "approve", points="5")
        assert state(app, row.id) == "submitted"
    step(county_admin, "/gaokao-minority", row.id, "collect")
    assert state(app, row.id) == "submitted"
    reviewer = login("zy_reviewer")  # reads, no steps
    assert reviewer.post(f"/gaokao-minority/step/{row.id}", {"action": "collect"}).status_code \
        in (302, 403)
    assert state(app, row.id) == "submitted"
    step(city_admin, "/gaokao-minority", row.id, "collect")
    assert state(app, row.id) == "collected"
    # Points outside the policy's bound are refused, with the reason on the page.
    resp = step(province_admin, "/gaokao-minority", row.id, "approve", points="25")
    body = page(province_admin, resp.location)
    assert "1 到 20" in body or "1 to 20" in body
    assert state(app, row.id) == "collected"
    step(province_admin, "/gaokao-minority", row.id, "approve", points="5")
    done = claim(app, "miao", "MZ")
    assert done.state == "approved" and done.points == 5 and done.decided_by == "henan_admin"
    assert part_state(app, "miao") == archive.CONFIRMED
    # Audited: insert and each update of the claim.
    with app.app_context():
        audited = db.session.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.table_name == "ks_gaokao_claim", AuditLog.row_id == done.id)
        ).scalar_one()
    assert audited >= 3
    # The show page lists the history and no further step for the province.
    body = page(province_admin, f"/gaokao-minority/show/{done.id}")
    assert "henan_admin" in body and 'id="history"' in body


def test_province_rejects_only_with_a_reason_and_the_county_records_again(
        app, county_admin, city_admin, province_admin):
    row = recorded(app, county_admin)
    step(province_admin, "/gaokao-minority", row.id, "reject")
    assert state(app, row.id) == "submitted"
    step(province_admin, "/gaokao-minority", row.id, "reject", reason="户籍不在民族地区")
    rejected = claim(app, "miao", "MZ")
    assert rejected.state == "rejected" and rejected.reject_reason == "户籍不在民族地区"
    # Decided: the candidate holds no such qualification (see README).
    assert part_state(app, "miao") == archive.NOT_REQUIRED
    # Recording again needs a new scan; it starts over.
    step(county_admin, "/gaokao-minority", row.id, "record")
    assert state(app, row.id) == "rejected"
    county_admin.refresh_token(f"/gaokao-minority/show/{row.id}")
    resp = county_admin.post(f"/gaokao-minority/step/{row.id}", {
        "action": "record", "version": claim_version(app, row.id),
        "scan": (io.BytesIO(JPEG), "补充.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    again = claim(app, "miao", "MZ")
    assert again.state == "submitted" and again.reject_reason is None
    assert again.scan_type == "image/jpeg"


def test_scans_that_are_not_pdf_or_jpeg_or_too_large_are_refused_and_nothing_is_stored(
        app, county_admin):
    reset(app, "miao")
    with app.app_context():
        stored = len(filestore.entries(SCANS))
    data = {"candidate_ref": number(app, "miao"), "policy": "MZ", "note": "证明材料甲"}
    for scan, name, message in ((PNG, "scan.png", "PDF"), (b"hello", "scan.pdf", "PDF"),
                                (None, "", "PDF")):
        resp = add(county_admin, "/gaokao-minority", data, scan=scan, name=name)
        body = text(resp)
        assert resp.status_code == 200 and 'id="bonus-error"' in body and message in body
        assert "证明材料甲" in body  # what was typed stays
        assert claim(app, "miao", "MZ") is None
    default = app.config["SCAN_MAX_BYTES"]
    app.config["SCAN_MAX_BYTES"] = 1000
    try:
        resp = add(county_admin, "/gaokao-minority", data, scan=PDF + b"\0" * 2000)
        body = text(resp)
        assert resp.status_code == 200 and "MB" in body and claim(app, "miao", "MZ") is None
    finally:
        app.config["SCAN_MAX_BYTES"] = default
    with app.app_context():
        assert len(filestore.entries(SCANS)) == stored
    # The check can fail: an accepted scan is one more file.
    assert add(county_admin, "/gaokao-minority", data).status_code == 302
    with app.app_context():
        assert len(filestore.entries(SCANS)) == stored + 1


def test_sibling_county_answers_404_and_the_city_does_not_record_for_a_county(
        app, county_admin, city_admin, login):
    row = recorded(app, county_admin)
    eq = login("eq_admin")
    assert eq.get(f"/gaokao-minority/show/{row.id}").status_code == 404
    assert eq.get(f"/gaokao-minority/scan/{row.id}").status_code == 404
    eq.refresh_token("/gaokao-minority/list/")
    assert eq.post(f"/gaokao-minority/step/{row.id}", {"action": "collect"}).status_code == 404
    assert "苗优惠" not in page(eq, "/gaokao-minority/list/")
    # 二七区's candidate cannot be recorded by 中原区.
    resp = add(county_admin, "/gaokao-minority", {"candidate_ref": number(app, "zhao"),
                                                  "policy": "MZ"})
    assert resp.status_code == 200 and claim(app, "zhao", "MZ") is None
    # The city records only for schools directly under it.
    reset(app, "hui")
    resp = add(city_admin, "/gaokao-minority", {"candidate_ref": number(app, "hui"),
                                                "policy": "MZ"})
    assert resp.status_code == 200 and claim(app, "hui", "MZ") is None
    assert "县" in text(resp) or "county" in text(resp)
    resp = add(city_admin, "/gaokao-minority", {"candidate_ref": number(app, "direct"),
                                                "policy": "MZ"})
    assert resp.status_code == 302 and claim(app, "direct", "MZ").state == "submitted"


def test_a_closed_entry_window_refuses_recording(app, county_admin):
    from app.phases.models import Phase

    reset(app, "hui")
    with app.app_context():
        exam_id = db.session.get(Candidate, app.people["hui"].id).exam_id
        phase = Phase(exam_id=exam_id, activity="bonus_entry", name="照顾加分录入",
                      start=dt.datetime(2020, 1, 1), end=dt.datetime(2020, 1, 31))
        db.session.add(phase)
        db.session.commit()
        phase_id = phase.id
    try:
        resp = add(county_admin, "/gaokao-minority", {"candidate_ref": number(app, "hui"),
                                                      "policy": "MZ"})
        assert resp.status_code == 200 and "2020-01-31" in text(resp)
        assert claim(app, "hui", "MZ") is None
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Phase, phase_id))
            db.session.commit()


# --- other policies ----------------------------------------------------------------------------

def test_other_policies_are_entered_by_the_city_and_approved_only_by_the_province(
        app, county_admin, city_admin, province_admin, login):
    reset(app, "hui")
    data = {"candidate_ref": number(app, "hui"), "policy": "LS", "points": "20",
            "note": "烈士证明书"}
    # The county does not enter them.
    resp = add(county_admin, "/gaokao-bonus", data, scan=None)
    assert claim(app, "hui", "LS") is None
    # Above the policy's bound: refused, typed values kept.
    resp = add(city_admin, "/gaokao-bonus", {**data, "points": "25"}, scan=None)
    assert resp.status_code == 200 and "烈士证明书" in text(resp)
    assert claim(app, "hui", "LS") is None
    resp = add(city_admin, "/gaokao-bonus", data, scan=None)
    assert resp.status_code == 302, text(resp)
    row = claim(app, "hui", "LS")
    assert row.state == "entered" and row.points == 20 and row.scan is None
    assert part_state(app, "hui") == archive.ENTERED
    for client in (county_admin, city_admin, login("zz_reviewer")):
        step(client, "/gaokao-bonus", row.id, "approve")
        assert state(app, row.id) == "entered"
    # The approval is offered to the province only.
    assert 'data-action="approve"' not in page(city_admin, f"/gaokao-bonus/show/{row.id}")
    assert 'data-action="approve"' in page(province_admin, f"/gaokao-bonus/show/{row.id}")
    step(province_admin, "/gaokao-bonus", row.id, "approve")
    assert state(app, row.id) == "approved"
    assert part_state(app, "hui") == archive.CONFIRMED
    # One claim per candidate and policy.
    resp = add(city_admin, "/gaokao-bonus", data, scan=None)
    assert resp.status_code == 200 and 'id="bonus-error"' in text(resp)


# --- forms ----------------------------------------------------------------------------------------

def _pdftext(data):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


@needs_pdftotext
def test_the_candidate_prints_the_minority_form_and_staff_print_the_review_forms(
        app, school_staff, county_admin, city_admin, province_admin):
    assert {"minority", "bonus", "special_plan"} <= set(BATCH_KINDS)
    row = recorded(app, county_admin)
    c = Client(app)
    resp = activate(c, cand(app, "miao").id_number, issue(school_staff, app.people["miao"].id))
    assert resp.status_code == 302
    c.refresh_token("/me/")
    home = text(c.get("/me/"))
    assert 'id="gaokao-bonus-links"' in home
    resp = c.get("/me/gaokao/forms/minority.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    out = _pdftext(resp.data)
    assert "民族优惠政策" in out and "苗优惠" in out and "苗族" in out and "校验码" in out
    listing = text(c.get("/me/gaokao/bonus"))
    assert 'data-policy="MZ"' in listing and 'data-state="submitted"' in listing
    # A Han candidate is told why there is no 民审表.
    h = Client(app)
    activate(h, cand(app, "han").id_number, issue(school_staff, app.people["han"].id))
    h.refresh_token("/me/")
    resp = h.get("/me/gaokao/forms/minority.pdf")
    assert resp.status_code == 302
    assert 'id="minority-refusal"' in text(h.get("/me/gaokao/bonus"))
    # The 优惠资格审查表 printed by staff shows the approved points.
    step(city_admin, "/gaokao-minority", row.id, "collect")
    step(province_admin, "/gaokao-minority", row.id, "approve", points="5")
    resp = county_admin.get(f"/print/bonus/{app.people['miao'].id}.pdf")
    assert resp.status_code == 200
    out = _pdftext(resp.data)
    assert "考生优惠资格审查表" in out and "省级审核通过" in out and "5" in out


def test_a_zhongzhao_candidate_has_no_gaokao_pages(app, candidate):
    c, _cid, _idn = candidate()
    assert c.get("/me/gaokao/bonus").status_code == 404
    assert c.get("/me/gaokao/forms/minority.pdf").status_code == 404
    assert 'id="gaokao-bonus-links"' not in text(c.get("/me/"))


def test_the_screens_read_in_chinese(app, county_admin, province_admin, school_staff):
    from test_zh_menu_pages import english_words

    row = recorded(app, county_admin)
    pages = {url: text(client.get(url)) for client, url in (
        (county_admin, "/gaokao-minority/add"), (county_admin, "/gaokao-bonus/add"),
        (county_admin, "/gaokao-special/add"), (county_admin, f"/gaokao-minority/show/{row.id}"),
        (province_admin, f"/gaokao-minority/show/{row.id}"),
        (county_admin, "/gaokao-minority/list/"), (province_admin, "/gaokao-bonus/list/"))}
    c = Client(app)
    activate(c, cand(app, "hui").id_number, issue(school_staff, app.people["hui"].id))
    c.refresh_token("/me/")
    pages["/me/gaokao/bonus"] = text(c.get("/me/gaokao/bonus"))
    pages["/me/"] = text(c.get("/me/"))
    found = {url: sorted(english_words(html)) for url, html in pages.items()}
    assert {url: words for url, words in found.items() if words} == {}


@needs_pdftotext
def test_the_review_forms_batch_print_like_the_other_forms(app, county_admin, city_admin,
                                                           run_jobs):
    reset(app, "hui")
    recorded(app, county_admin)
    people = [app.people["miao"].id, app.people["hui"].id]
    with app.app_context():
        exam = db.session.get(Candidate, people[0]).exam_id
    county_admin.refresh_token("/print/batch")
    resp = county_admin.post("/print/batch", {"kind": "bonus", "exam": exam,
                                              "ids": ",".join(map(str, people))})
    assert resp.status_code == 302, text(resp)[-1500:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = county_admin.get(f"/print/batch/{batch_id}/status").get_json()
    assert status["status"] == "done", status
    out = "".join(_pdftext(county_admin.get(status["result_url"]).data).split())
    assert out.count("考生优惠资格审查表") == 2 and "苗优惠" in out and "回加分" in out
    assert "校验码" in out
