"""The capture pages' checks through HTTP: a camera snapshot is checked before it is saved
(check-only endpoints for staff and the candidate, nothing stored), the results list every
measured check with its value, range, pass/fail and fix hint, the head oval follows the rules,
and the saved picture's measurements are shown after a successful upload."""
import io
import re

from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.photos.models import CandidatePhoto, StoredFile
from factories import adult_candidate, make_candidate
from helpers import text, upload_photo
from photo_faces import BLUE, document, encode, in_oval, portrait


def snapshot(im):
    """What capture.js posts: the guide frame drawn at 900×1200 as a JPEG (no dpi)."""
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92)
    return buf.getvalue()


GOOD = snapshot(portrait(900, 1200))
GREY = snapshot(portrait(900, 1200, bg=(160, 160, 160)))


def post_check(client, cid, data, kind="photo"):
    client.refresh_token(f"/photos/candidate/{cid}")
    return client.post(f"/photos/candidate/{cid}/check?kind={kind}",
                       {"file": (io.BytesIO(data), "camera.jpg")},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


def stored_counts(app, cid):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(CandidatePhoto)
                                  .where(CandidatePhoto.candidate_id == cid)),
                db.session.scalar(select(func.count()).select_from(StoredFile)))


def by_code(body):
    return {c["code"]: c for c in body["checks"]}


def test_a_passing_snapshot_lists_every_measured_check_and_stores_nothing(app, school_staff):
    cid = make_candidate(app)
    before = stored_counts(app, cid)
    resp = post_check(school_staff, cid, GOOD)
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is True, body
    checks = by_code(body)
    head = checks["head_height"]
    assert head["ok"] and head["required"] == "55%–80%" and head["value"].endswith("%")
    assert head["label"] and head["hint"] is None
    # The file the upload would store: 450×600, 300 dpi, at most 30 KB.
    assert checks["wrong_size"]["value"] == "450×600" and checks["wrong_size"]["ok"]
    assert checks["dpi_low"]["value"] == "300 dpi"
    assert checks["file_too_large"]["required"] == "≤ 30 KB"
    assert {"off_centre", "background_not_blue", "exposure", "blurred",
            "rescan_suspected"} <= set(checks)
    assert all(c["ok"] for c in body["checks"])
    assert body["steps"], "the normaliser says what it did to the snapshot"
    assert stored_counts(app, cid) == before, "a check stores nothing"


def test_a_refused_snapshot_names_value_range_and_fix_and_what_passed(app, school_staff):
    cid = make_candidate(app)
    body = post_check(school_staff, cid, GREY).get_json()
    assert body["ok"] is False
    checks = by_code(body)
    blue = checks["background_not_blue"]
    assert not blue["ok"] and blue["required"] == "≥ 85%" and blue["value"].endswith("%")
    assert "蓝" in blue["hint"], blue  # the fix, in Chinese
    assert checks["head_height"]["ok"], "what passed is listed too"
    # The camera frame's own size and dpi are fixed by saving: not listed as failures.
    assert "wrong_size" not in checks and "dpi_low" not in checks
    assert body["failures"][0]["code"] == "background_not_blue"


def test_a_cat_is_refused_for_no_face(app, school_staff):
    cid = make_candidate(app)
    body = post_check(school_staff, cid, snapshot(in_oval("chelsea.jpg", 900, 1200))).get_json()
    assert body["ok"] is False and not by_code(body)["no_face"]["ok"]


def test_the_check_is_scoped_and_needs_capture_rights(app, login, county_reviewer):
    other = make_candidate(app, school="41010501")  # another county's school
    zy = login("zy_school")
    assert post_check(zy, other, GOOD).status_code == 404
    cid = make_candidate(app)
    resp = post_check(county_reviewer, cid, GOOD)
    assert resp.status_code in (302, 403), resp.status_code
    # An ID document snapshot gets the file rules of its kind.
    doc = snapshot(document(1200, 900))
    body = post_check(zy, cid, doc, kind="id_document").get_json()
    assert body["ok"] and by_code(body)["wrong_size"]["value"] == "800×600"
    assert post_check(zy, cid, GOOD, kind="passport").status_code == 404


def test_a_locked_record_is_refused_by_the_check_as_by_the_upload(app, login):
    cid = make_candidate(app)
    with app.app_context():
        from app.candidates.models import Candidate
        db.session.get(Candidate, cid).locked = True
        db.session.commit()
    body = post_check(login("zy_school"), cid, GOOD).get_json()
    assert body["ok"] is False and body["failures"][0]["code"] == "locked"


def test_upload_answers_and_the_page_show_the_saved_pictures_measurements(app, school_staff):
    cid = make_candidate(app)
    school_staff.refresh_token(f"/photos/candidate/{cid}")
    body = upload_photo(school_staff, cid, GOOD, as_json=True).get_json()
    assert body["ok"], body
    assert by_code(body)["head_height"]["ok"] and by_code(body)["file_too_large"]["ok"]
    page = text(school_staff.get(f"/photos/candidate/{cid}"))
    table = page[page.index('id="ks-checks-photo"'):]
    table = table[:table.index("</table>")]
    for code in ("head_height", "off_centre", "background_not_blue", "wrong_size", "dpi_low",
                 "file_too_large", "rescan_suspected"):
        assert f'data-code="{code}"' in table, code
    assert "ks-check-fail" not in table
    with app.app_context():
        photo = db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == cid)).scalar_one()
        assert photo.checks["ok"] is True


def test_the_guide_oval_follows_the_rules(app, school_staff):
    cid = make_candidate(app)
    page = text(school_staff.get(f"/photos/candidate/{cid}"))
    assert f'data-check-url="/photos/candidate/{cid}/check"' in page
    ovals = dict(re.findall(r'class="ks-oval ks-oval-(\w+)" style="[^"]*height:([\d.]+)%', page))
    assert ovals == {"max": "80.0", "target": "66.7", "min": "55.0"}
    assert 'id="ks-snapshot-checks"' in page


def test_the_candidate_checks_a_snapshot_and_sees_the_saved_measurements(app, candidate):
    me, cid, _idn = candidate()
    page = text(me.get("/me/photo"))
    assert 'data-check-url="/me/photo/check"' in page and "ks-oval-target" in page
    me.refresh_token("/me/photo")
    resp = me.post("/me/photo/check", {"file": (io.BytesIO(GREY), "me.jpg")},
                   content_type="multipart/form-data", headers={"Accept": "application/json"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is False
    assert not by_code(body)["background_not_blue"]["ok"]
    assert stored_counts(app, cid)[0] == 0
    me.refresh_token("/me/photo")
    resp = me.post("/me/photo", {"file": (io.BytesIO(GOOD), "me.jpg")},
                   content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)
    page = text(me.get("/me/photo"))
    assert 'id="ks-checks-photo"' in page and 'data-code="head_height"' in page


def test_an_adult_candidates_check_is_refused_like_the_upload(app, school_staff):
    from conftest import Client
    from helpers import activate, issue

    cid, idn = adult_candidate(app)
    me = Client(app)
    assert activate(me, idn, issue(school_staff, cid)).status_code == 302
    me.refresh_token("/me/")
    resp = me.post("/me/photo/check", {"file": (io.BytesIO(GOOD), "me.jpg")},
                   content_type="multipart/form-data", headers={"Accept": "application/json"})
    body = resp.get_json()
    assert body["ok"] is False and body["failures"][0]["code"] == "locked"


def test_a_blue_frame_is_no_face_even_at_file_size(app, school_staff):
    """The check answers on a file already at the notice's size, without normalising it."""
    cid = make_candidate(app)
    body = post_check(school_staff, cid, encode(Image.new("RGB", (450, 600), BLUE))).get_json()
    assert body["ok"] is False and not by_code(body)["no_face"]["ok"]
