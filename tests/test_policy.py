"""One editability policy (app/candidates/policy.py) asked by every writer, and one refusal handler
(app/refusals.py), through HTTP.

The module has a database of its own (it locks, approves and closes windows) and two probe
routes that raise a refusal without catching it, registered before the app serves anything."""
import datetime as dt
import io

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.candidates.models import Candidate, Guardian
from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.photos.models import CandidatePhoto
from app.refusals import NotAllowed
from app.validators import make_id_number
from conftest import Client
from helpers import activate, issue
from photo_faces import encode, portrait

LOCKED = "须由上级填写原因解锁后才能修改"
APPROVED = "审核通过后不得修改"
OUTSIDE = "该单位不在您的辖区范围内"
PAST = (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 25, 17))


def _refuse():
    raise NotAllowed(_l("That unit is outside your jurisdiction."))


def _probes(app):
    for path, name in (("/api/v1/ks_probe/refuse", "ks_probe_api"),
                       ("/ks_probe/refuse", "ks_probe_page")):
        app.add_url_rule(path, name, _refuse, methods=["GET", "POST"])


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("policy", prepare=_probes) as app:
        yield app


@pytest.fixture
def staff(login):
    return login("zy_school")


_seq = iter(range(301, 999, 2))


def new_candidate(app, kind=ZHONGZHAO, state="draft", locked=False, school="41010201"):
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        birth = dt.date(2010, 9, 1)
        cand = Candidate(exam=exam, node=node, name="规则考生", gender="1", birth_date=birth,
                         id_number=make_id_number("410102", birth, next(_seq)), category="01",
                         phone="13800002222", state=state, locked=locked)
        cand.guardians.append(Guardian(name="张三", relation="51", phone="13900000000"))
        db.session.add(cand)
        db.session.commit()
        return cand.id, cand.id_number


def snapshot(app, cid):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        photos = db.session.execute(select(CandidatePhoto.id).where(
            CandidatePhoto.candidate_id == cid)).scalars().all()
        return (c.name, c.phone, c.version, [(g.name, g.phone) for g in c.guardians], photos)


def edit_form(app, cid, **over):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        data = {"node": str(c.node_id), "name": c.name, "gender": "1",
                "id_number": c.id_number, "birth_date": "2010-09-01", "category": "01",
                "phone": c.phone}
    return {**data, **over}


def upload(client, cid, as_json=True):
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(f"/photos/candidate/{cid}/upload?kind=photo",
                       {"file": (io.BytesIO(encode(portrait())), "p.jpg")},
                       content_type="multipart/form-data", headers=headers)


def me_client(app, login, cid, idn):
    me = Client(app)
    assert activate(me, idn, issue(login("zy_school"), cid)).status_code == 302
    me.refresh_token("/me/photo")
    return me


@pytest.fixture
def closed(app):
    """Close one activity's window of the 2026 中招 exam; restored afterwards."""
    saved = {}

    def close(activity):
        with app.app_context():
            phase = db.session.execute(select(Phase).join(Exam).where(
                Exam.year == 2026, Exam.kind == ZHONGZHAO, Phase.activity == activity)
            ).scalar_one()
            saved.setdefault(phase.id, (phase.start, phase.end))
            phase.start, phase.end = PAST
            db.session.commit()

    yield close
    with app.app_context():
        for pid, (start, end) in saved.items():
            phase = db.session.get(Phase, pid)
            phase.start, phase.end = start, end
        db.session.commit()


# --- the policy through several writers -----------------------------------------------------

@pytest.mark.parametrize("state, locked, message", [("confirmed", True, LOCKED),
                                                    ("school_approved", False, APPROVED)])
def test_staff_writers_refuse_a_locked_or_approved_record(app, staff, state, locked, message):
    cid, _idn = new_candidate(app, state=state, locked=locked)
    before = snapshot(app, cid)
    # The edit form opens read-only (the show page says why); a post changes nothing.
    assert staff.get(f"/candidateview/edit/{cid}").location.endswith(f"/candidateview/show/{cid}")
    staff.refresh_token(f"/candidateview/show/{cid}")
    page = staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13911112222"),
                      follow_redirects=True).get_data(as_text=True)
    assert message in page
    # A part of the record (guardian) and its photo: the same rule, the same message.
    staff.refresh_token("/guardianview/add")
    page = staff.post("/guardianview/add", {"candidate": str(cid), "name": "李四",
                                            "relation": "52"}, follow_redirects=True)
    assert message in page.get_data(as_text=True)
    staff.refresh_token(f"/photos/candidate/{cid}")
    resp = upload(staff, cid)
    assert resp.status_code == 422 and message in resp.get_json()["failures"][0]["message"]
    capture = staff.get(f"/photos/candidate/{cid}").get_data(as_text=True)
    assert message in capture and 'type="file"' not in capture
    assert snapshot(app, cid) == before


def test_candidate_on_a_confirmed_and_locked_record_reads_the_lock(app, login):
    """The self-service page and the photo upload answer with the same rule: on a signed
    record the lock, not "confirmed" (the photo rules once said "confirmed" there)."""
    cid, idn = new_candidate(app)
    me = me_client(app, login, cid, idn)
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.state, cand.locked = "confirmed", True
        db.session.commit()
    page = me.get("/me/photo").get_data(as_text=True)
    assert LOCKED in page and 'type="file"' not in page
    resp = me.post("/me/photo", {"file": (io.BytesIO(encode(portrait())), "me.jpg")},
                   content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 422 and LOCKED in resp.get_json()["failures"][0]["message"]
    assert snapshot(app, cid)[4] == []


def test_candidate_may_not_upload_an_adult_exam_photo(app, login, staff):
    cid, idn = new_candidate(app, kind=ADULT)
    me = me_client(app, login, cid, idn)
    resp = me.post("/me/photo", {"file": (io.BytesIO(encode(portrait())), "me.jpg")},
                   content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 422 and "现场确认" in resp.get_json()["failures"][0]["message"]
    assert snapshot(app, cid)[4] == []
    # The school takes it on site.
    staff.refresh_token(f"/photos/candidate/{cid}")
    assert upload(staff, cid).status_code == 200


def test_closed_windows_refuse_staff_entry_and_photos(app, staff, closed):
    cid, _idn = new_candidate(app, state="confirmed")
    before = snapshot(app, cid)
    closed("photo_capture")
    capture = staff.get(f"/photos/candidate/{cid}").get_data(as_text=True)
    assert "2026-03-25 17:00" in capture and 'type="file"' not in capture
    staff.refresh_token(f"/photos/candidate/{cid}")
    resp = upload(staff, cid)
    assert resp.status_code == 422 and "2026-03-25 17:00" in resp.get_json()["failures"][0][
        "message"]
    closed("staff_entry")
    staff.refresh_token(f"/candidateview/edit/{cid}")
    page = staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13911112222"),
                      follow_redirects=True).get_data(as_text=True)
    assert "2026-03-25 17:00" in page
    assert snapshot(app, cid) == before


# --- the one handler ------------------------------------------------------------------------

def test_refusal_under_api_answers_json(app):
    resp = app.test_client().get("/api/v1/ks_probe/refuse")
    body = resp.get_json()
    assert resp.status_code == 403 and resp.mimetype == "application/json"
    assert set(body) == {"status", "message"} and body["status"] == 403
    assert OUTSIDE in body["message"]


def test_refused_post_flashes_and_goes_back(app, staff):
    staff.refresh_token("/candidateview/list/")
    resp = staff.post("/ks_probe/refuse",
                      headers={"Referer": "http://localhost/candidateview/list/"})
    assert resp.status_code == 302 and resp.location.endswith("/candidateview/list/")
    page = staff.get(resp.location).get_data(as_text=True)
    assert OUTSIDE in page


def test_refused_get_shows_the_error_page(app, staff):
    resp = staff.get("/ks_probe/refuse")
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert OUTSIDE in resp.get_data(as_text=True)
