"""高考 专项 qualifications through HTTP (seed 002 §三.4, §四.4): 贫困地区定向招生 / 农村学生单独
招生. The 资格审核表 is printed (by the candidate on /me/ or by staff), the county records it
with its scan, then county → city → province review, each by its own role and only in order;
a rejection needs a reason; a school directly under a city skips the county review; scoping;
the archive part "special_plan".

The module builds its own database: its 高考 candidates must not change other modules' counts.
"""
import datetime as dt
import io
import shutil
import subprocess

import pytest
from sqlalchemy import delete, select

from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.extensions import db
from app.gaokao import archive
from app.gaokao.bonus_models import BonusClaim
from conftest import Client
from factories import _candidate
from helpers import activate, issue, text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROUTE = "/gaokao-special"

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) not installed")

PEOPLE = {"nong": ("41010201", "农专项"), "pin": ("41010201", "贫定向"),
          "zhao": ("41010301", "赵邻县"), "direct": ("410100S1", "郑直属")}


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("gspecial") as app:
        app.people = {}
        for i, (key, (school, name)) in enumerate(PEOPLE.items()):
            made = _candidate(app, school, GAOKAO, 2026, name, dt.date(2008, 7, 1 + i), "1",
                              phone="13800001111", study=True, guardian="家长")
            app.people[key] = made
            with app.app_context():
                db.session.get(Candidate, made.id).candidate_number = f"2641020{i:07d}"
                db.session.commit()
        yield app


def number(app, key):
    with app.app_context():
        return db.session.get(Candidate, app.people[key].id).candidate_number


def claim(app, key, policy):
    with app.app_context():
        return db.session.execute(select(BonusClaim).where(
            BonusClaim.candidate_id == app.people[key].id,
            BonusClaim.policy == policy)).scalar_one_or_none()


def state(app, claim_id):
    with app.app_context():
        return db.session.get(BonusClaim, claim_id).state


def reset(app, key):
    with app.app_context():
        db.session.execute(delete(BonusClaim).where(
            BonusClaim.candidate_id == app.people[key].id))
        db.session.commit()


def record(client, app, key, policy="NC", scan=PDF):
    client.refresh_token(f"{ROUTE}/add")
    form = {"candidate_ref": number(app, key), "policy": policy, "note": "户籍、学籍证明"}
    if scan is not None:
        form["scan"] = (io.BytesIO(scan), "资格审核表.pdf")
    return client.post(f"{ROUTE}/add", form, content_type="multipart/form-data")


def step(client, app, claim_id, action, **form):
    client.refresh_token(f"{ROUTE}/show/{claim_id}")
    with app.app_context():
        version = db.session.get(BonusClaim, claim_id).version
    return client.post(f"{ROUTE}/step/{claim_id}", {"action": action, "version": version,
                                                     **form})


def part_state(app, key):
    cid = app.people[key].id
    with app.app_context():
        return archive.states_of([cid])[cid]["special_plan"]


def test_reviewed_county_city_province_each_by_its_role_in_order(
        app, county_admin, county_reviewer, city_reviewer, city_admin, province_admin):
    reset(app, "nong")
    assert part_state(app, "nong") == archive.NOT_REQUIRED
    # The scan is required.
    resp = record(county_admin, app, "nong", scan=None)
    assert resp.status_code == 200 and 'id="bonus-error"' in text(resp)
    assert claim(app, "nong", "NC") is None
    # Reviewers do not record.
    resp = record(county_reviewer, app, "nong")
    assert claim(app, "nong", "NC") is None
    resp = record(county_admin, app, "nong")
    assert resp.status_code == 302, text(resp)
    row = claim(app, "nong", "NC")
    assert row.state == "submitted" and row.scan and part_state(app, "nong") == archive.ENTERED
    # Out of order or by the wrong role: refused, nothing moves.
    for client, action in ((city_reviewer, "city_approve"), (province_admin, "approve"),
                           (county_admin, "county_approve"), (city_admin, "city_approve")):
        step(client, app, row.id, action)
        assert state(app, row.id) == "submitted", (action, client)
    step(county_reviewer, app, row.id, "county_approve")
    assert state(app, row.id) == "county_ok"
    step(county_reviewer, app, row.id, "city_approve")
    step(province_admin, app, row.id, "approve")
    assert state(app, row.id) == "county_ok"
    step(city_reviewer, app, row.id, "city_approve")
    assert state(app, row.id) == "city_ok"
    assert part_state(app, "nong") == archive.ENTERED
    step(province_admin, app, row.id, "approve")
    assert state(app, row.id) == "approved"
    assert part_state(app, "nong") == archive.CONFIRMED


def test_each_level_rejects_only_with_a_reason(app, county_admin, county_reviewer,
                                               city_reviewer):
    reset(app, "pin")
    record(county_admin, app, "pin", policy="PK")
    row = claim(app, "pin", "PK")
    step(county_reviewer, app, row.id, "county_approve")
    step(city_reviewer, app, row.id, "city_reject")
    assert state(app, row.id) == "county_ok"
    step(city_reviewer, app, row.id, "city_reject", reason="户籍未满三年")
    rejected = claim(app, "pin", "PK")
    assert rejected.state == "rejected" and rejected.reject_reason == "户籍未满三年"
    assert part_state(app, "pin") == archive.NOT_REQUIRED


def test_a_school_directly_under_the_city_skips_the_county_review(
        app, city_admin, city_reviewer, province_admin):
    reset(app, "direct")
    resp = record(city_admin, app, "direct")
    assert resp.status_code == 302, text(resp)
    row = claim(app, "direct", "NC")
    step(city_reviewer, app, row.id, "city_approve")
    assert state(app, row.id) == "city_ok"
    step(province_admin, app, row.id, "approve")
    assert state(app, row.id) == "approved"


def test_another_county_answers_404(app, county_admin, login):
    reset(app, "nong")
    record(county_admin, app, "nong")
    row = claim(app, "nong", "NC")
    eq = login("eq_admin")
    assert eq.get(f"{ROUTE}/show/{row.id}").status_code == 404
    assert eq.get(f"{ROUTE}/scan/{row.id}").status_code == 404
    eq.refresh_token(f"{ROUTE}/list/")
    assert eq.post(f"{ROUTE}/step/{row.id}", {"action": "county_approve"}).status_code == 404
    # A claim of another part is not served by this screen either.
    assert county_admin.get(f"/gaokao-minority/show/{row.id}").status_code == 404
    resp = record(county_admin, app, "zhao")
    assert resp.status_code == 200 and claim(app, "zhao", "NC") is None


@needs_pdftotext
def test_the_form_is_printed_by_the_candidate_and_by_staff_with_the_kinds_ticked(
        app, school_staff, county_admin):
    reset(app, "pin")
    record(county_admin, app, "pin", policy="PK")
    c = Client(app)
    with app.app_context():
        idn = db.session.get(Candidate, app.people["pin"].id).id_number
    assert activate(c, idn, issue(school_staff, app.people["pin"].id)).status_code == 302
    c.refresh_token("/me/")
    resp = c.get("/me/gaokao/forms/special_plan.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True,
                         check=True).stdout.decode()
    flat = "".join(out.split())
    assert "（√）贫困地区定向招生" in flat and "（）农村学生单独招生" in flat
    assert "贫定向" in flat and "校验码" in flat
    assert c.get("/me/gaokao/forms/registration.pdf").status_code == 404
    resp = county_admin.get(f"/print/special_plan/{app.people['pin'].id}.pdf")
    assert resp.status_code == 200
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True,
                         check=True).stdout.decode()
    assert "已交县区招生办" in "".join(out.split())
