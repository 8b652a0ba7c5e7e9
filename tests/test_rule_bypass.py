"""Rules that could be bypassed (issue 12 items 5–7), through HTTP:

- the review chain follows the unit's place in the tree and the exam kind (a school directly
  under a city goes school → city; 成人高考 records and 高考 qualifications end at the province);
- the staff-entry window is checked for the stored record, not only the submitted form, and
  the exam of a record never changes;
- designated points (低龄 / 医卫类, levels served) come only from an approved proposal, never
  from the unit forms.
"""
import datetime as dt
import itertools
import json
import re

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.extensions import db
from app.jurisdiction import Node, make_path
from app.phases.models import Phase, PhaseExtension
from app.review.models import Qualification
from factories import make_phase
from helpers import (PAST, PREFERENCE_FORM, REGISTRY_HEADER, candidate_row, csv_bytes, exam_id,
                     node_id, review_action, run_import, text)

_seq = itertools.count(701, 2)
_codes = itertools.count(1)
pytestmark = pytest.mark.usefixtures("fresh_address_limit")
CITY_SCHOOL, COUNTY_SCHOOL, POINT = "410100S1", "41010201", "BM410102"


def new_candidate(app, unit, kind=ZHONGZHAO, state="confirmed", category="01"):
    """A fresh candidate of ``unit`` (its code) for the 2026 exam of ``kind``; its id."""
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == unit)).scalar_one()
        birth = dt.date(2011, 7, 17) if kind == ZHONGZHAO else dt.date(1999, 7, 17)
        cand = Candidate(exam_id=exam_id(app, kind), node=node, name="规则考生", gender="1",
                         birth_date=birth, state=state, category=category,
                         id_number=make_id_number("410102", birth, next(_seq)))
        db.session.add(cand)
        db.session.commit()
        return cand.id


def record(app, cid, model=Candidate):
    with app.app_context():
        row = db.session.get(model, cid)
        return row.state, row.version


def api(client, cid, action, route="review", model=Candidate, **extra):
    """The review JSON API with the record's current version."""
    payload = {"id": cid, "action": action, "version": record(client.app, cid, model)[1],
               **extra}
    client.refresh_token(f"/{route}/list/")
    return client.http.post(f"/{route}/api/transition", data=json.dumps(payload),
                            content_type="application/json",
                            headers={"X-CSRFToken": client.token})


SIGNOFF = {"principal_name": "张校长", "signed_on": "2026-12-01"}


# --- item 5: the review chain follows the tree and the exam kind ------------------------------

def test_city_school_candidate_reaches_city_approval(app, login):
    cid = new_candidate(app, CITY_SCHOOL)
    review_action(login("zzfl_reviewer"), "school_approve", cid, **SIGNOFF)
    assert record(app, cid)[0] == "school_approved"
    # No county is above a 直属学校: a county reviewer neither sees nor acts on it.
    county = login("zy_reviewer")
    assert api(county, cid, "county_approve").status_code == 404
    assert county.get(f"/review/show/{cid}").status_code == 404
    review_action(login("zz_reviewer"), "city_approve", cid)
    assert record(app, cid)[0] == "city_approved"


def test_county_school_candidate_needs_county_before_city(app, login):
    cid = new_candidate(app, COUNTY_SCHOOL)
    api(login("zy_school_reviewer"), cid, "school_approve", **SIGNOFF)
    assert record(app, cid)[0] == "school_approved"
    city = login("zz_reviewer")
    for action in ("city_approve", "city_reject"):
        resp = api(city, cid, action, reason="缺材料")
        assert resp.status_code == 422 and "不能执行" in resp.get_json()["error"]
    assert record(app, cid)[0] == "school_approved"
    assert api(login("zy_reviewer"), cid, "county_approve").status_code == 200
    assert api(city, cid, "city_approve").status_code == 200
    assert record(app, cid)[0] == "city_approved"


def test_city_reviewer_rejects_city_school_candidate_after_school(app, login):
    cid = new_candidate(app, CITY_SCHOOL)
    api(login("zzfl_reviewer"), cid, "school_approve", **SIGNOFF)
    resp = api(login("zz_reviewer"), cid, "city_reject", reason="照片不合格")
    assert resp.status_code == 200 and record(app, cid)[0] == "rejected"


def test_adult_record_is_approved_up_to_the_province(app, login):
    cid = new_candidate(app, POINT, kind=ADULT)
    admin = login("henan_admin")
    steps = [("zy_point_reviewer", "school_approve", "school_approved"),
             ("zy_reviewer", "county_approve", "county_approved"),
             ("zz_reviewer", "city_approve", "city_approved")]
    for user, action, reached in steps:
        # The province acts only after the city.
        assert api(admin, cid, "province_approve").status_code == 422
        assert api(login(user), cid, action, **SIGNOFF).status_code == 200
        assert record(app, cid)[0] == reached
    assert api(admin, cid, "province_approve").status_code == 200
    assert record(app, cid)[0] == "province_approved"
    page = text(admin.get("/review/list/?_flt_0_state=province_approved"))
    assert "省级已审核" in page and "规则考生" in page
    assert "省级已审核" in text(admin.get("/"))


def test_zhongzhao_record_ends_at_the_city(app, login):
    cid = new_candidate(app, CITY_SCHOOL, state="city_approved")
    resp = api(login("henan_admin"), cid, "province_approve")
    assert resp.status_code == 422 and record(app, cid)[0] == "city_approved"


def new_qualification(app, cid):
    with app.app_context():
        row = Qualification(candidate_id=cid, kind="ethnic_bonus")
        db.session.add(row)
        db.session.commit()
        return row.id


def test_gaokao_qualification_of_city_school_goes_up_to_the_province(app, login):
    qid = new_qualification(app, new_candidate(app, CITY_SCHOOL, kind=GAOKAO))
    q = dict(route="qualifications", model=Qualification)
    assert api(login("zzfl_reviewer"), qid, "q_school_approve", **SIGNOFF, **q).status_code == 200
    admin = login("henan_admin")
    assert api(admin, qid, "q_province_approve", **q).status_code == 422
    assert api(login("zz_reviewer"), qid, "q_city_approve", **q).status_code == 200
    assert api(admin, qid, "q_province_approve", **q).status_code == 200
    assert record(app, qid, Qualification)[0] == "province_approved"


def test_zhongzhao_qualification_of_county_school_needs_the_county(app, login):
    qid = new_qualification(app, new_candidate(app, COUNTY_SCHOOL))
    q = dict(route="qualifications", model=Qualification)
    api(login("zy_school_reviewer"), qid, "q_school_approve", **SIGNOFF, **q)
    assert api(login("zz_reviewer"), qid, "q_city_approve", **q).status_code == 422
    assert api(login("zy_reviewer"), qid, "q_county_approve", **q).status_code == 200
    assert api(login("zz_reviewer"), qid, "q_city_approve", **q).status_code == 200
    assert api(login("henan_admin"), qid, "q_province_approve", **q).status_code == 422
    assert record(app, qid, Qualification)[0] == "city_approved"


# --- item 6: windows and scope from the stored record -----------------------------------------

@pytest.fixture
def entry_01_closed_02_open(app):
    """Staff entry of the 2026 中招: category 01's window closed, 02's open (removed after)."""
    zk = exam_id(app, ZHONGZHAO)
    with app.app_context():
        rows = [Phase(exam_id=zk, activity="staff_entry", category="01", name="01 已截止",
                      start=dt.datetime(2026, 1, 1), end=dt.datetime(2026, 1, 2)),
                Phase(exam_id=zk, activity="staff_entry", category="02", name="02 进行中",
                      start=dt.datetime(2026, 1, 1), end=dt.datetime(2099, 1, 1))]
        db.session.add_all(rows)
        db.session.commit()
        made = [r.id for r in rows]
    yield
    with app.app_context():
        for pk in made:
            db.session.delete(db.session.get(Phase, pk))
        db.session.commit()


def edit_form(app, cid, **changes):
    with app.app_context():
        row = db.session.get(Candidate, cid)
        # A browser posts what the form offers; "exam" is sent too, as a forged post would.
        data = {"exam": row.exam_id, "node": row.node_id, "name": row.name, "gender": row.gender,
                "id_number": row.id_number, "birth_date": row.birth_date.isoformat(),
                "category": row.category, "phone": "13812345678"}
    return {**data, **changes}


def post_edit(client, cid, form):
    client.refresh_token(f"/candidateview/edit/{cid}")
    return text(client.post(f"/candidateview/edit/{cid}", form, follow_redirects=True))


def stored(app, cid):
    with app.app_context():
        row = db.session.get(Candidate, cid)
        return row.category, row.exam_id, row.phone


def test_edit_moving_a_closed_category_to_an_open_one_is_refused(app, login,
                                                                  entry_01_closed_02_open):
    cid = new_candidate(app, COUNTY_SCHOOL, state="draft", category="01")
    page = post_edit(login("zy_school"), cid, edit_form(app, cid, category="02"))
    assert "当前未开放" in page
    assert stored(app, cid) == ("01", exam_id(app, ZHONGZHAO), None)


def test_edit_within_the_open_category_is_saved(app, login, entry_01_closed_02_open):
    cid = new_candidate(app, COUNTY_SCHOOL, state="draft", category="02")
    post_edit(login("zy_school"), cid, edit_form(app, cid))
    assert stored(app, cid) == ("02", exam_id(app, ZHONGZHAO), "13812345678")
    # …but not into the closed category.
    post_edit(login("zy_school"), cid, edit_form(app, cid, category="01", phone="13812345679"))
    assert stored(app, cid) == ("02", exam_id(app, ZHONGZHAO), "13812345678")


def test_exam_of_a_record_never_changes(app, login):
    cid = new_candidate(app, COUNTY_SCHOOL, state="draft", category="01")
    c = login("zy_school")
    assert 'name="exam"' not in text(c.get(f"/candidateview/edit/{cid}"))
    post_edit(c, cid, edit_form(app, cid, exam=exam_id(app, GAOKAO)))
    assert stored(app, cid)[1] == exam_id(app, ZHONGZHAO)


def test_import_cannot_move_a_record_out_of_a_closed_category(app, login,
                                                              entry_01_closed_02_open):
    cid = new_candidate(app, COUNTY_SCHOOL, state="draft", category="01")
    with app.app_context():
        id_number = db.session.get(Candidate, cid).id_number
    row = ["规则考生", id_number, "男", COUNTY_SCHOOL, "汉", "13800003333", "", "02"]
    _, status = run_import(login("zy_school"), app,
                           csv_bytes([row], header=[*REGISTRY_HEADER, "考生类别"]))
    assert (status["updated"], status["rejected"]) == (0, 1)
    assert stored(app, cid) == ("01", exam_id(app, ZHONGZHAO), None)


def test_self_registered_level_cannot_open_a_closed_window(app, adult):
    """成人高考: the first choice sets an empty level; the window of that level is asked too."""
    c, cid = adult(category=None)
    closed_id = make_phase(app, exam_id(app, ADULT), "self_registration", *PAST, category="03",
                           name="专升本 已截止")
    try:
        resp = c.post("/me/preferences/1",
                      {**PREFERENCE_FORM, "level": "03", "major_category": "07"})
        assert resp.status_code == 403 and "当前未开放" in text(resp)
        assert candidate_row(app, cid).category is None and candidate_row(app, cid).prefs == []
        assert c.post("/me/preferences/1", PREFERENCE_FORM).status_code == 302  # level 01: open
        assert candidate_row(app, cid).category == "01"
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Phase, closed_id))
            db.session.commit()


def test_choosing_a_point_asks_the_window_of_the_point(app, adult, phase):
    """A record open only through its unit's extension (延时) cannot move to a point whose
    window is closed."""
    c, cid = adult(prefs=[dict(PREFERENCE_FORM, seq=1)])
    phase("self_registration", *PAST, kind=ADULT)
    with app.app_context():
        rows = db.session.execute(select(Phase).where(
            Phase.exam_id == exam_id(app, ADULT), Phase.activity == "self_registration")
        ).scalars().all()
        db.session.add_all(PhaseExtension(phase_id=row.id, node_id=node_id(app, COUNTY_SCHOOL),
                                          new_end=dt.datetime(2099, 1, 1), reason="停电延时")
                           for row in rows)
        db.session.commit()
    offered = re.findall(r'id="point-(\d+)"', text(c.get("/me/point")))
    assert offered  # the record itself is open
    # a point the page offers (other tests may have retired the demo point meanwhile)
    resp = c.post("/me/point", {"point_id": offered[0]})
    assert resp.status_code == 403 and "当前未开放" in text(resp)
    assert candidate_row(app, cid).node == COUNTY_SCHOOL


# --- item 7: designated points come only from an approved proposal ----------------------------

DESIGNATION = {"for_minors": "y", "for_medical": "y", "serves_levels": ["01", "03"]}


def designation(app, code):
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == code)).scalar_one_or_none()
        return node and (node.serves_levels, node.for_minors, node.for_medical)


def test_unit_forms_do_not_offer_designations(login, ids):
    c = login("zy_admin")
    for url in ("/nodeview/add", f"/nodeview/edit/{ids.node(POINT)}"):
        page = text(c.get(url))
        assert all(f'name="{field}"' not in page for field in DESIGNATION)


def test_forged_designation_on_add_is_ignored(app, login, ids):
    c = login("zy_admin")
    code = f"BMRB{next(_codes):04d}"
    c.refresh_token("/nodeview/add")
    c.post("/nodeview/add", {"parent": ids.node("410102"), "kind": "point", "code": code,
                             "name": "伪造医卫类报名点", "active": "y", **DESIGNATION})
    assert designation(app, code) == (None, False, False)


def test_forged_designation_on_edit_is_ignored(app, login, ids):
    # a point of the test's own: the demo point serves the other tests
    code = f"BMRB{next(_codes):04d}"
    with app.app_context():
        county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one()
        db.session.add(Node(code=code, name="待编辑报名点", kind="point", parent=county,
                            path=make_path(county, code)))
        db.session.commit()
    c = login("zy_admin")
    point = ids.node(code)
    c.refresh_token(f"/nodeview/edit/{point}")
    c.post(f"/nodeview/edit/{point}", {"name": "待编辑报名点", "active": "y", **DESIGNATION})
    assert designation(app, code) == (None, False, False)
