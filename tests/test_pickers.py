"""The candidate picker (app/candidates/picker.py): a scoped JSON search answering a few
candidates at a time, the add forms' field that resolves the submitted value through the scope,
and the lists' text filter on the candidate in place of a select of every candidate."""
import json
import re
from urllib.parse import quote

import pytest
from sqlalchemy import delete, func, select

from app.candidates.models import Candidate, Guardian
from app.candidates.picker import PICK_LIMIT
from app.codes import GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from factories import make_candidate
from helpers import exam_id, text

PICK = "/api/pick/candidates"
NOT_IN_SCOPE = "您的管辖范围内没有该身份证号、考生号或系统编号对应的考生。"


def picked(client, **params):
    resp = client.get(PICK, query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["results"]


def ids_of(results):
    return [r["id"] for r in results]


def candidate(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid)


def guardians_of(app, cid):
    with app.app_context():
        return db.session.execute(select(func.count()).where(
            Guardian.candidate_id == cid)).scalar()


@pytest.fixture(scope="module")
def people(app):
    """中原区's 拾取甲 (with a 考生号) and 二七区's 拾取乙."""
    return {"own": make_candidate(app, name="拾取甲", candidate_number="26410102990001"),
            "sibling": make_candidate(app, school="41010301", name="拾取乙")}


# --- the search ----------------------------------------------------------------------------

def test_search_by_name_id_number_and_candidate_number_stays_in_the_subtree(app, login, people):
    own, sibling = people["own"], people["sibling"]
    zy = login("zy_admin")
    found = picked(zy, q="拾取甲")  # "拾取" alone may fill a page with other tests' 拾取多
    assert own in ids_of(found) and sibling not in ids_of(picked(zy, q="拾取"))
    [label] = [r["label"] for r in found if r["id"] == own]
    number = candidate(app, own).id_number
    assert label.startswith("拾取甲") and number in label and "郑州市第五十七中学" in label
    # A prefix this long is the candidate's own (other tests' candidates share the birth date).
    assert ids_of(picked(zy, q=number[:17])) == [own]
    assert own in ids_of(picked(zy, q="26410102990"))
    assert ids_of(picked(zy, q="拾取乙")) == []
    # The sibling county finds its own and not 中原区's.
    eq = ids_of(picked(login("eq_admin"), q="拾取"))
    assert sibling in eq and own not in eq


def test_masked_roles_see_masked_numbers_and_match_them_whole(app, login, people):
    own = people["own"]
    number = candidate(app, own).id_number
    reviewer = login("zy_reviewer")
    [label] = [r["label"] for r in picked(reviewer, q="拾取甲")]
    assert number not in label and number[:4] + "*" * 10 + number[-4:] in label
    # A prefix would spell the number out digit by digit; the whole number is found.
    assert ids_of(picked(reviewer, q=number[:17])) == []
    assert ids_of(picked(reviewer, q=number)) == [own]


def test_a_search_answers_a_bounded_page(app, login):
    made = [make_candidate(app, name=f"拾取多{i:02d}") for i in range(PICK_LIMIT + 5)]
    found = picked(login("zy_school"), q="拾取多")
    assert len(found) == PICK_LIMIT and set(ids_of(found)) < set(made)
    assert [r["label"][:5] for r in found] == sorted(r["label"][:5] for r in found)


def test_exam_and_kind_narrow_the_search(app, login, people):
    zy = login("zy_admin")
    assert people["own"] in ids_of(picked(zy, q="拾取甲", exam=exam_id(app, ZHONGZHAO)))
    assert picked(zy, q="拾取甲", exam=exam_id(app, GAOKAO)) == []
    assert picked(zy, q="拾取甲", kind=GAOKAO) == []
    resp = zy.get(PICK, query_string={"q": "拾取甲", "exam": "abc"})
    assert resp.status_code == 400 and resp.get_json()["message"] == "考试须以其编号指定。"


def test_search_needs_a_logged_in_staff_user(client):
    resp = client.get(PICK, query_string={"q": "拾取"})
    assert resp.status_code == 401 and resp.get_json()["message"] == "请先登录。"


def test_wildcards_are_typed_text(login, people):
    zy = login("zy_admin")
    assert picked(zy, q="%") == [] and picked(zy, q="_") == [] and picked(zy, q="") == []


# --- the add forms' field --------------------------------------------------------------------

def test_add_form_has_a_picker_and_no_candidate_list(login, people):
    staff = login("zy_school")
    resp = staff.get("/guardianview/add")
    page = text(resp)
    assert page.count('name="candidate"') == 1
    assert re.search(r'<input [^>]*name="candidate"', page)
    assert f'data-candidate-picker="{PICK}"' in page
    assert "拾取甲" not in page  # no candidate is listed in the page
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)
    assert f'src="/static/candidate_picker.js" nonce="{nonce}"' in page
    physical = text(login("zy_clerk").get("/physical/add"))
    assert f'data-candidate-picker="{PICK}?kind={GAOKAO}"' in physical
    assert 'data-picker-exam-field="exam"' in text(login("zy_admin").get("/tickets/add"))


def test_picked_id_or_typed_number_adds_the_row(app, login, people):
    own = people["own"]
    staff = login("zy_school")
    staff.refresh_token("/guardianview/add")
    before = guardians_of(app, own)
    for value in (str(own), candidate(app, own).id_number, "26410102990001"):
        resp = staff.post("/guardianview/add", {"candidate": value, "name": "拾取家长",
                                                "relation": "51"})
        assert resp.status_code == 302, text(resp)[-2000:]
    assert guardians_of(app, own) == before + 3


def test_a_forged_candidate_outside_the_subtree_is_refused(app, login, people):
    sibling = people["sibling"]
    staff = login("zy_school")
    staff.refresh_token("/guardianview/add")
    before = guardians_of(app, sibling)
    for value in (str(sibling), candidate(app, sibling).id_number):
        resp = staff.post("/guardianview/add", {"candidate": value, "name": "越界家长",
                                                "relation": "51"})
        assert resp.status_code == 200 and NOT_IN_SCOPE in text(resp)
        assert 'value="越界家长"' in text(resp)  # what was typed stays on the form
    # FAB fills the candidate of a related list's link without the scope: refused as well.
    resp = staff.post(f"/guardianview/add?_flt_0_candidate={sibling}",
                      {"name": "越界家长", "relation": "51"})
    assert resp.status_code == 200
    resp = staff.post("/qualifications/add", {"candidate": str(sibling), "kind": "allocation",
                                              "note": "越界"})
    assert NOT_IN_SCOPE in text(resp)
    assert guardians_of(app, sibling) == before


def test_empty_and_ambiguous_entries_say_what_to_do(app, login, people):
    own = candidate(app, people["own"])
    with app.app_context():
        gaokao = db.session.execute(select(Exam).where(Exam.kind == GAOKAO)).scalars().first()
        twin = Candidate(exam_id=gaokao.id, node_id=own.node_id, name="拾取甲", gender="1",
                         birth_date=own.birth_date, id_number=own.id_number)
        db.session.add(twin)
        db.session.commit()
        twin_id = twin.id
    try:
        staff = login("zy_school")
        staff.refresh_token("/guardianview/add")
        resp = staff.post("/guardianview/add", {"candidate": own.id_number, "name": "拾取家长",
                                                "relation": "51"})
        assert "该输入对应多名考生，请从列表中选择一名。" in text(resp)
        resp = staff.post("/guardianview/add", {"candidate": "", "name": "拾取家长",
                                                "relation": "51"})
        assert "请选择考生。" in text(resp)
        # Chosen from the list (its id), the same person's 高考 record is meant.
        assert staff.post("/guardianview/add", {"candidate": str(twin_id), "name": "拾取家长",
                                                "relation": "51"}).status_code == 302
        assert guardians_of(app, twin_id) == 1
    finally:
        # The twin shares 拾取甲's ID number: the other tests of the module expect one 拾取甲.
        with app.app_context():
            db.session.execute(delete(Guardian).where(Guardian.candidate_id == twin_id))
            db.session.execute(delete(Candidate).where(Candidate.id == twin_id))
            db.session.commit()


# --- the lists' search ---------------------------------------------------------------------------

def test_lists_search_by_the_candidate_as_text(app, login, people):
    own, sibling = people["own"], people["sibling"]
    make_candidate(app, name="拾取丙", guardian="丙的家长")
    staff = login("zy_school")
    staff.refresh_token("/guardianview/add")
    staff.post("/guardianview/add", {"candidate": str(own), "name": "甲的家长", "relation": "51"})
    listing = text(staff.get("/guardianview/list/"))
    assert json.dumps("姓名、身份证号或考生号开头为") in listing  # the filter, in FAB's script
    assert "拾取甲" not in listing.split("<table")[0]  # the search form lists no candidate
    found = text(staff.get(f"/guardianview/list/?_flt_0_candidate_id={quote('拾取甲')}"))
    assert "甲的家长" in found and "丙的家长" not in found
    by_number = text(staff.get("/guardianview/list/?_flt_0_candidate_id=26410102990001"))
    assert "甲的家长" in by_number and "丙的家长" not in by_number
    by_id = candidate(app, own).id_number
    assert "甲的家长" in text(staff.get(f"/guardianview/list/?_flt_0_candidate_id={by_id}"))
    # Typed wildcards match themselves.
    assert "甲的家长" not in text(staff.get("/guardianview/list/?_flt_0_candidate_id=%25"))
    staff.refresh_token("/qualifications/add")
    assert staff.post("/qualifications/add", {"candidate": str(own), "kind": "allocation",
                                              "note": "拾取申报"}).status_code == 302
    filed = f"/qualifications/list/?_flt_0_candidate_id={quote('拾取甲')}"
    assert "拾取甲" in text(staff.get(filed))
    assert "拾取甲" not in text(staff.get(filed.replace(quote("拾取甲"), quote("拾取丙"))))
    assert "拾取乙" not in text(login("zy_admin").get(
        f"/qualifications/list/?_flt_0_candidate_id={quote('拾取乙')}"))
    assert sibling
