"""One transition type for review, point proposals, data reports and incidents, through HTTP:
the lock's steps (mark signed, unlock with a reason, relock) run by their guards and effects,
a point proposal's and an incident's status change through the same check and apply, and the
list filters offering only "equal to" on coded columns."""
import datetime as dt
import itertools
import json
import re

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.playbooks.models import Incident
from app.points.models import PointProposal
from app.review.models import ReviewEvent
from app.validators import make_id_number
from helpers import text

_seq = itertools.count(701, 2)
_codes = itertools.count(1)




def exam(app, kind="zhongzhao"):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(Exam.kind == kind, Exam.year == 2026)
                                  ).scalar_one()


def node(app, code):
    with app.app_context():
        return db.session.execute(select(Node).where(Node.code == code)).scalar_one().id


def confirmed_candidate(app):
    """A confirmed candidate of 五十七中 (41010201); returns its id."""
    with app.app_context():
        birth = dt.date(2011, 6, 1)
        cand = Candidate(exam_id=exam(app), node_id=node(app, "41010201"), name="流转考生",
                         gender="1", birth_date=birth, category="01", state="confirmed",
                         id_number=make_id_number("410102", birth, next(_seq)))
        db.session.add(cand)
        db.session.commit()
        return cand.id


def record(app, cid):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        return {"state": c.state, "locked": c.locked, "signed": c.signed_at is not None,
                "version": c.version}


def versions(page):
    return dict(re.findall(r'name="(v_\d+)" value="(\d+)"', page))


def act(client, route, name, ids, **form):
    """A list action the way the screen runs it: action → confirmation page → POST."""
    client.refresh_token(f"/{route}/list/")
    resp = client.post(f"/{route}/action_post", {"action": name, "rowid": [str(i) for i in ids]})
    assert resp.status_code == 302, resp.status_code
    page = client.get(resp.location)
    assert page.status_code == 200
    return text(client.post(f"/{route}/confirm/{name}",
                            {"ids": ",".join(map(str, ids)), **versions(text(page)), **form},
                            follow_redirects=True))


def api(client, cid, action, **payload):
    client.refresh_token("/review/list/")
    return client.http.post("/review/api/transition", data=json.dumps(
        {"id": cid, "action": action, "version": record(client.app, cid)["version"],
         **payload}), content_type="application/json", headers={"X-CSRFToken": client.token})


def events(app, cid):
    with app.app_context():
        return [(e.action, e.reason) for e in db.session.execute(
            select(ReviewEvent).where(ReviewEvent.candidate_id == cid)
            .order_by(ReviewEvent.id)).scalars()]


# --- the lock: guards and effects of the review table ----------------------------------------

def test_mark_signed_locks_only_a_printed_form_unlock_needs_a_reason_relock_a_reprint(
        app, login):
    cid = confirmed_candidate(app)
    staff, admin = login("zy_school"), login("zy_admin")
    # guard: nothing printed yet, so nothing to sign
    assert "请先打印" in act(staff, "review", "mark_signed", [cid])
    assert record(app, cid)["locked"] is False
    assert staff.get(f"/print/registration/{cid}.pdf").status_code == 200
    act(staff, "review", "mark_signed", [cid])
    # effect: signing sets the lock and the time of signing; the state stays
    signed = record(app, cid)
    assert (signed["state"], signed["locked"], signed["signed"]) == ("confirmed", True, True)
    # guard: already locked
    resp = api(staff, cid, "mark_signed")
    assert resp.status_code == 422 and "已锁定" in resp.get_json()["error"]
    # unlock: the reason is required, and only an upper level unlocks
    resp = api(admin, cid, "unlock")
    assert resp.status_code == 422 and record(app, cid)["locked"] is True
    assert api(staff, cid, "unlock", reason="想改").status_code == 422
    assert api(admin, cid, "unlock", reason="更正手机号").status_code == 200
    assert record(app, cid)["locked"] is False
    # guard: an unlocked record is not unlocked again
    assert api(admin, cid, "unlock", reason="再次").status_code == 422
    # relock restores the signature: the paper printed before still shows the record
    assert api(admin, cid, "relock").status_code == 200
    assert record(app, cid)["locked"] is True
    assert events(app, cid) == [("mark_signed", None), ("unlock", "更正手机号"),
                                ("relock", None)]


def test_the_detail_page_offers_what_the_table_allows_now(app, login):
    cid = confirmed_candidate(app)
    admin = login("zy_admin")
    page = text(admin.get(f"/review/show/{cid}"))
    # not locked: unlocking is not offered as a button, and the guard's reason is said
    assert "/review/confirm/unlock" not in page and "未锁定" in page


def test_a_rejection_of_a_signed_record_is_refused_until_it_is_unlocked(app, login):
    cid = confirmed_candidate(app)
    staff = login("zy_school")
    staff.get(f"/print/registration/{cid}.pdf")
    act(staff, "review", "mark_signed", [cid])
    reviewer = login("zy_school_reviewer")
    resp = api(reviewer, cid, "school_reject", reason="照片不符")
    assert resp.status_code == 403 and record(app, cid)["state"] == "confirmed"


# --- point proposals: the same check and apply -----------------------------------------------

def proposal(app, county="410102"):
    code = f"TR{next(_codes):04d}"
    with app.app_context():
        db.session.add(PointProposal(
            node_id=node(app, county), exam_id=exam(app, "adult"), name="流转测试点", code=code,
            address="测试地址", contact="测试", phone="0371-67891234", state="proposed"))
        db.session.commit()
        return db.session.execute(select(PointProposal.id).where(PointProposal.code == code)
                                  ).scalar_one()


def proposal_row(app, pid):
    with app.app_context():
        p = db.session.get(PointProposal, pid)
        return p.state, p.reject_reason, p.city_by_id is not None


def test_a_point_proposal_is_rejected_with_a_reason_and_agreed_by_the_city(app, login):
    city = login("zz_admin")
    rejected, agreed = proposal(app), proposal(app)
    act(city, "point-proposals", "city_reject", [rejected])
    assert proposal_row(app, rejected) == ("proposed", None, False)
    act(city, "point-proposals", "city_reject", [rejected], reason="地址不详")
    assert proposal_row(app, rejected) == ("rejected", "地址不详", True)
    act(city, "point-proposals", "city_approve", [agreed])
    assert proposal_row(app, agreed) == ("city_approved", None, True)
    # the county's step is not the city's
    page = act(city, "point-proposals", "withdraw", [agreed])
    assert proposal_row(app, agreed)[0] == "city_approved" and "撤回" in page


# --- incidents: the same table type, its guard and effect -----------------------------------

def test_an_incident_closes_only_once_back_online_and_records_when(app, login):
    county = login("zy_admin")
    county.refresh_token("/incidents/add")
    resp = county.post("/incidents/add", {"anomaly": "network", "exam": str(exam(app)),
                                          "node": str(node(app, "410102")), "summary": "断网"})
    inc = int(re.search(r"/incidents/show/(\d+)$", resp.location).group(1))

    def post(route, **form):
        county.refresh_token(f"/incidents/show/{inc}")
        return county.post(f"/incidents/{inc}/{route}", form)

    assert post("action", step="network.2", kind="paper_mode").status_code == 302
    resp = post("status", transition="close")
    assert resp.status_code == 422 and "纸质草表" in text(resp)
    assert post("action", step="network.3", kind="back_online").status_code == 302
    assert post("status", transition="close").status_code == 302
    with app.app_context():
        closed = db.session.get(Incident, inc)
        assert closed.status == "closed" and closed.closed_on is not None
    assert post("status", transition="reopen").status_code == 422


# --- coded columns filter by equality only ---------------------------------------------------

def filter_operations(page):
    """{column: [operation label, …]} of the list page's search filters."""
    for line in page.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{") and '": ["' in line:
            return json.loads(line)
    raise AssertionError("no filter operations on the page")


@pytest.mark.parametrize("user,url,coded,free", [
    ("zy_school_reviewer", "/review/list/?all=1", ("state",), "name"),
    ("zy_school_reviewer", "/qualifications/list/", ("state", "kind"), None),
    ("zz_admin", "/point-proposals/list/", ("state",), "name"),
    ("zz_admin", "/data-reports/list/", ("state",), None),
    ("zy_admin", "/incidents/list/", ("anomaly", "status"), None),
])
def test_coded_columns_offer_only_equal_to(login, user, url, coded, free):
    operations = filter_operations(text(login(user).get(url)))
    for column in coded:
        assert operations[column] == ["等于"], column
    if free:
        assert len(operations[free]) > 1
