"""Photos and ID documents through HTTP: capture uploads, scoped files, the candidate's own
photo page, the ZIP import."""
import datetime as dt
import io
import json
import os
import struct
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos import storage
from app.photos.checks import CANDIDATE_PHOTO, ID_DOCUMENT, check_photo
from app.photos.models import CandidatePhoto, PhotoImport
from conftest import Client
from helpers import activate, exam_id, issue, upload_photo, without_photos
from photo_faces import document, encode, portrait


def candidates(app, school_code):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.id_number).join(Node)
            # Other test files lock some records of the same school; pictures of those
            # may not change, which is theirs to test.
            .where(Node.code == school_code, Candidate.locked.is_(False))
            .order_by(Candidate.id)).all()


def fresh_candidate(app, school_code="41010201"):
    """A new draft 中招 candidate of the school: no picture, no other test has touched it."""
    birth = dt.date(2010, 10, 1)
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school_code)).scalar_one()
        taken = set(db.session.execute(select(Candidate.id_number).where(
            Candidate.exam_id == exam.id, Candidate.birth_date == birth)).scalars())
        number = next(n for n in (make_id_number("410102", birth, s) for s in range(101, 999, 2))
                      if n not in taken)
        cand = Candidate(exam=exam, node=node, name="照片考生", gender="1", birth_date=birth,
                         id_number=number, category="01")
        db.session.add(cand)
        db.session.commit()
        return db.session.execute(select(Candidate.id, Candidate.id_number).where(
            Candidate.id == cand.id)).one()


def current(app, candidate_id, kind="photo"):
    with app.app_context():
        return db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == candidate_id, CandidatePhoto.kind == kind,
            CandidatePhoto.current.is_(True))).scalars().all()


@pytest.fixture
def staff(login):
    c = login("zy_school")
    c.refresh_token("/photos/import/")
    return c


def test_compliant_photo_is_stored_as_is_and_served(app, staff):
    cand = candidates(app, "41010201")[0]
    data = encode(portrait())
    resp = upload_photo(staff, cand.id, data)
    assert resp.status_code == 302 and f"/photos/candidate/{cand.id}" in resp.location
    [photo] = current(app, cand.id)
    assert photo.file_sha256 == photo.original_sha256  # compliant: nothing re-encoded
    with app.app_context():
        assert os.path.isfile(storage.path_for(photo.file_sha256))
    served = staff.get(f"/photos/file/{cand.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == data
    assert staff.get(f"/photos/file/{cand.id}/photo",
                     headers={"If-None-Match": f'"{photo.file_sha256}"'}).status_code == 304
    page = staff.get(f"/photos/candidate/{cand.id}").get_data(as_text=True)
    assert f"/photos/file/{cand.id}/photo" in page
    listing = staff.get("/candidateview/list/?psize_CandidateView=100").get_data(as_text=True)
    assert f'src="/photos/file/{cand.id}/photo"' in listing


def test_new_photo_replaces_the_current_one(app, staff):
    cand = candidates(app, "41010201")[1]

    def stored():
        # Other suites may have given this demo candidate photos already: count the change.
        with app.app_context():
            return db.session.execute(select(func.count()).select_from(CandidatePhoto).where(
                CandidatePhoto.candidate_id == cand.id)).scalar()

    before = stored()
    assert upload_photo(staff, cand.id, encode(portrait())).status_code == 302
    second = encode(portrait(bg=(20, 60, 160)))
    resp = upload_photo(staff, cand.id, second, as_json=True)
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    [photo] = current(app, cand.id)
    with app.app_context():
        assert storage.open_bytes(photo.file_sha256) == second
    assert stored() == before + 2


@pytest.mark.parametrize("make, codes", [
    (lambda: b"GIF89a not an image", {"unsupported_format"}),
    (lambda: encode(portrait().convert("L")), {"greyscale"}),
    (lambda: encode(portrait(bg=(255, 255, 255))), {"background_not_blue"}),
    (lambda: encode(portrait(300, 400)), {"too_small"}),
], ids=["not-an-image", "greyscale", "white-background", "too-small"])
def test_rejected_upload_shows_failures_next_to_the_picture(app, staff, make, codes):
    cand = fresh_candidate(app)
    resp = upload_photo(staff, cand.id, make())
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    panel = page[page.index('id="ks-failures-photo"'):page.index('id="ks-failures-id_document"')]
    for code in codes:
        assert f'data-code="{code}"' in panel
    assert current(app, cand.id) == []
    body = upload_photo(staff, cand.id, make(), as_json=True).get_json()
    assert body["ok"] is False and codes <= {f["code"] for f in body["failures"]}
    assert all(f["message"] for f in body["failures"])


def test_greyscale_message_is_translated(app, staff):
    cand = fresh_candidate(app)
    page = upload_photo(staff, cand.id, encode(portrait().convert("L"))).get_data(as_text=True)
    assert "黑白" in page


def test_upload_over_10_mb_is_refused_with_a_message(app, staff):
    cand = fresh_candidate(app)
    resp = upload_photo(staff, cand.id, b"\xff\xd8\xff" + os.urandom(10 * 1024 * 1024 + 10),
                        as_json=True)
    assert resp.status_code == 413
    assert resp.get_json()["failures"][0]["code"] == "upload_too_large"
    assert "10 MB" in resp.get_json()["failures"][0]["message"]
    assert current(app, cand.id) == []


def test_big_source_is_normalised_to_a_compliant_file(app, staff):
    cand = candidates(app, "41010201")[3]
    source = encode(portrait(1200, 1600, noise=40), quality=95)
    assert check_photo(source) != []
    resp = upload_photo(staff, cand.id, source, as_json=True)
    assert resp.status_code == 200, resp.get_json()
    served = staff.get(f"/photos/file/{cand.id}/photo").data
    assert Image.open(io.BytesIO(served)).size == (450, 600)
    assert len(served) <= CANDIDATE_PHOTO.max_bytes and check_photo(served) == []
    original = staff.get(f"/photos/file/{cand.id}/photo?original=1")
    assert original.status_code == 200 and original.data == source


def test_id_document_is_normalised(app, staff):
    cand = candidates(app, "41010201")[3]
    resp = upload_photo(staff, cand.id, encode(document(1600, 1200)), kind="id_document",
                        as_json=True)
    assert resp.status_code == 200, resp.get_json()
    served = staff.get(f"/photos/file/{cand.id}/id_document").data
    assert check_photo(served, ID_DOCUMENT) == []


def test_unknown_kind_is_404(app, staff):
    cand = candidates(app, "41010201")[0]
    assert upload_photo(staff, cand.id, encode(portrait()), kind="passport").status_code == 404
    assert staff.get(f"/photos/file/{cand.id}/passport").status_code == 404


def test_sibling_county_is_404(app, login, staff):
    other = candidates(app, "41010301")[0]
    own = fresh_candidate(app)  # with a photo, so that 404 cannot mean "no photo yet"
    assert upload_photo(staff, own.id, encode(portrait())).status_code == 302
    assert login("zy_admin").get(f"/photos/file/{own.id}/photo").status_code == 200
    eq = login("eq_school")
    eq.refresh_token("/photos/import/")
    assert upload_photo(eq, other.id, encode(portrait())).status_code == 302
    assert staff.get(f"/photos/candidate/{other.id}").status_code == 404
    assert upload_photo(staff, other.id, encode(portrait())).status_code == 404
    assert staff.get(f"/photos/file/{other.id}/photo").status_code == 404
    assert login("zy_admin").get(f"/photos/file/{other.id}/photo").status_code == 404
    assert login("eq_admin").get(f"/photos/file/{other.id}/photo").status_code == 200
    assert login("eq_admin").get(f"/photos/file/{own.id}/photo").status_code == 404


def test_reviewer_may_view_but_not_capture(app, login, staff):
    own = fresh_candidate(app)
    assert upload_photo(staff, own.id, encode(portrait())).status_code == 302
    [photo] = current(app, own.id)
    reviewer = login("zy_reviewer")
    assert reviewer.get(f"/photos/file/{own.id}/photo").status_code == 200
    assert reviewer.get(f"/photos/file/{own.id}/photo?original=1").status_code == 404
    page = reviewer.get(f"/photos/candidate/{own.id}")
    assert page.status_code == 200 and f"/photos/file/{own.id}/photo" in page.text
    assert 'id="ks-camera"' not in page.text and 'type="file"' not in page.text
    reviewer.refresh_token("/login/")
    assert upload_photo(reviewer, own.id, encode(portrait(bg=(20, 60, 160)))).status_code == 403
    assert [p.id for p in current(app, own.id)] == [photo.id]
    assert reviewer.get("/photos/import/").status_code == 403


# --- ZIP import ---------------------------------------------------------------------


def member(name, data, compress=zipfile.ZIP_STORED):
    info = zipfile.ZipInfo(name)  # ZipInfo keeps hostile names that ZipFile.write would clean
    info.compress_type = compress
    return info, data


def make_zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info, data in members:
            zf.writestr(info, data)
    return buf.getvalue()


def start_import(client, app, data, kind="photo", name="photos.zip"):
    return client.post("/photos/import/", {"exam": exam_id(app), "kind": kind,
                                           "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_zip_import_matches_within_the_subtree_and_reports_the_rest(app, staff, run_jobs):
    own = [fresh_candidate(app, "41010202") for _ in range(2)]  # sibling school: not zy_school's
    mine = [fresh_candidate(app) for _ in range(4)]
    other = fresh_candidate(app, "41010301")
    good = encode(portrait())
    members = [
        member(f"{mine[0].id_number}.jpg", good),
        member(f"class3/2026/{mine[1].id_number}.JPG", good, zipfile.ZIP_DEFLATED),
        member(f"../{mine[2].id_number}.jpg", good),
        member(f"/etc/{mine[2].id_number}.jpg", good),
        member(f"{mine[2].id_number}.jpg", encode(portrait(), "PNG")),
        member(f"{mine[3].id_number}.jpg", b"\xff\xd8\xff" + os.urandom(5 * 1024 * 1024 + 1)),
        member(f"bomb/{own[0].id_number}.jpg", b"\xff\xd8\xff" + bytes(4 * 1024 * 1024),
               zipfile.ZIP_DEFLATED),
        member(f"again/{mine[0].id_number}.jpg", good),
        member(f"{other.id_number}.jpg", good),
        member(f"{own[1].id_number}.jpg", good),
        member("notes.txt", b"hello"),
        member(f"{mine[3].id_number[:-1]}0.jpeg", encode(portrait().convert("L"))),
    ]
    resp = start_import(staff, app, make_zip(members))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    run_jobs()
    report_url = resp.location
    status = staff.get(report_url + "/status").get_json()
    assert status["status"] == "done" and status["final"], status
    with app.app_context():
        imp = db.session.get(PhotoImport, int(report_url.rstrip("/").rsplit("/", 1)[1]))
        report = imp.report
        assert imp.stored_path.startswith(storage.import_dir())
        assert not os.path.exists(imp.stored_path)
    assert sorted(report["matched"]) == sorted(
        [f"{mine[0].id_number}.jpg", f"class3/2026/{mine[1].id_number}.JPG"])
    # Another county's and another school's candidates read as unknown, never as "found".
    unmatched = set(report["unmatched"])
    assert {f"{other.id_number}.jpg", f"{own[1].id_number}.jpg"} <= unmatched
    rejected = {name: code for name, code, _reason in report["rejected"]}
    assert rejected[f"../{mine[2].id_number}.jpg"] == "unsafe_path"
    assert rejected[f"/etc/{mine[2].id_number}.jpg"] == "unsafe_path"
    assert rejected[f"{mine[2].id_number}.jpg"] == "not_jpeg"
    assert rejected[f"{mine[3].id_number}.jpg"] == "too_big"
    assert rejected[f"bomb/{own[0].id_number}.jpg"] == "too_big"
    assert rejected[f"again/{mine[0].id_number}.jpg"] == "duplicate"
    assert rejected["notes.txt"] == "bad_name"
    assert len(current(app, mine[0].id)) == 1 and len(current(app, mine[1].id)) == 1
    assert current(app, other.id) == [] and current(app, own[1].id) == []
    page = staff.get(report_url).get_data(as_text=True)
    assert 'id="ks-matched">2<' in page and "重复" in page


def test_zip_import_rejects_non_compliant_pictures_with_reasons(app, staff, run_jobs):
    cand = fresh_candidate(app)
    data = make_zip([member(f"{cand.id_number}.jpg", encode(portrait().convert("L")))])
    resp = start_import(staff, app, data)
    run_jobs()
    with app.app_context():
        imp = db.session.get(PhotoImport, int(resp.location.rsplit("/", 1)[1]))
        [[name, codes, reason]] = imp.report["rejected"]
    assert name == f"{cand.id_number}.jpg" and "greyscale" in codes.split(",")
    assert "黑白" in reason
    assert current(app, cand.id) == []


def test_not_a_zip_is_refused_and_nothing_is_recorded(app, staff):
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(PhotoImport)).scalar()
    resp = start_import(staff, app, b"PK\x03\x04 this is not really a zip", name="x.zip")
    assert resp.status_code == 400
    assert "ZIP" in resp.get_data(as_text=True)
    with app.app_context():
        after = db.session.execute(select(func.count()).select_from(PhotoImport)).scalar()
    assert before == after


def test_import_report_of_another_county_is_404(app, staff, login, run_jobs):
    cand = candidates(app, "41010201")[16]
    resp = start_import(staff, app, make_zip([member(f"{cand.id_number}.jpg",
                                                     encode(portrait()))]))
    run_jobs()
    assert staff.get(resp.location).status_code == 200
    eq = login("eq_admin")
    assert eq.get(resp.location).status_code == 404
    assert eq.get(resp.location + "/status").status_code == 404
    assert json.loads(staff.get(resp.location + "/status").data)["percent"] == 100


def test_photo_import_menu_follows_the_role(login):
    assert 'href="/photos/import/"' in login("zy_school").get("/").get_data(as_text=True)
    assert 'href="/photos/import/"' in login("zy_admin").get("/").get_data(as_text=True)
    assert 'href="/photos/import/"' not in login("zy_reviewer").get("/").get_data(as_text=True)


def test_detail_page_shows_the_thumbnail(app, staff):
    [cand] = without_photos(app, 1)
    show = f"/candidateview/show/{cand.id}"
    assert f'src="/photos/file/{cand.id}/photo"' not in staff.get(show).get_data(as_text=True)
    assert upload_photo(staff, cand.id, encode(portrait())).status_code == 302
    page = staff.get(show).get_data(as_text=True)
    assert f'<a href="/photos/candidate/{cand.id}"><img src="/photos/file/{cand.id}/photo"' in page


def test_storage_never_rewrites_a_stored_file(app):
    data, other = encode(portrait()), encode(portrait(bg=(20, 60, 160)))
    with app.app_context():
        sha = storage.store(data)
        path = storage.path_for(sha)
        before = os.stat(path)
        assert storage.store(data) == sha
        after = os.stat(path)
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert storage.store(other) != sha and storage.open_bytes(sha) == data
        assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".tmp-")]


# --- the candidate's own photo page (/me/photo) ---------------------------------------------

_seq = iter(range(601, 999, 2))


def own_candidate(app, login, kind=ZHONGZHAO, state="draft", locked=False):
    """A candidate of 41010201 with an activated self-service account; returns (client, id)."""
    birth = dt.date(2010, 9, 1)
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        cand = Candidate(exam=exam, node=node, name="拍照考生", gender="1", birth_date=birth,
                         id_number=make_id_number("410102", birth, next(_seq)),
                         category="01", phone="13800001111")
        db.session.add(cand)
        db.session.commit()
        cid, idn = cand.id, cand.id_number
    me = Client(app)
    assert activate(me, idn, issue(login("zy_school"), cid)).status_code == 302
    me.refresh_token("/me/photo")
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.state, cand.locked = state, locked
        db.session.commit()
    return me, cid


def me_upload(me, data, as_json=False):
    headers = {"Accept": "application/json"} if as_json else {}
    return me.post("/me/photo", {"file": (io.BytesIO(data), "me.jpg")},
                   content_type="multipart/form-data", headers=headers)


def test_candidate_page_offers_camera_and_file_and_stays_small(app, login):
    me, cid = own_candidate(app, login)
    page = me.get("/me/photo").get_data(as_text=True)
    assert len(page.encode()) < 8000
    assert 'id="ks-capture"' in page and 'data-upload-url="/me/photo"' in page
    assert 'id="ks-guide"' in page and 'data-kind="photo"' in page
    assert 'data-autostart' not in page  # the candidate starts the camera
    assert 'type="file"' in page and "/static/photos/capture.js" in page
    assert "https://" not in page and "http://" not in page  # no CDN


def test_candidate_upload_answers_json_or_html(app, login):
    me, cid = own_candidate(app, login)
    bad = me_upload(me, encode(portrait(bg=(255, 255, 255))), as_json=True)
    assert bad.status_code == 422 and bad.mimetype == "application/json"
    assert [f["code"] for f in bad.get_json()["failures"]] == ["background_not_blue"]
    page = me_upload(me, encode(portrait(bg=(255, 255, 255))))
    assert page.status_code == 422 and 'data-code="background_not_blue"' in page.text
    assert current(app, cid) == []
    good = me_upload(me, encode(portrait(1200, 1600, noise=30), quality=95), as_json=True)
    assert good.status_code == 200, good.get_json()
    assert {k: good.get_json()[k] for k in ("ok", "kind", "url", "failures")} == {
        "ok": True, "kind": "photo", "url": "/me/photo/file", "failures": []}
    [photo] = current(app, cid)
    served = me.get("/me/photo/file")
    assert served.headers["ETag"].strip('"') == photo.file_sha256
    assert check_photo(served.data) == []
    assert me_upload(me, encode(portrait())).status_code == 302  # the form: back to the page


@pytest.mark.parametrize("state", ["confirmed", "school_approved", "county_approved",
                                   "city_approved"])
def test_candidate_cannot_change_the_photo_once_confirmed(app, login, state):
    me, cid = own_candidate(app, login, state=state)
    page = me.get("/me/photo").get_data(as_text=True)
    assert 'id="refusal"' in page and "信息已确认" in page and "请联系所在学校" in page
    assert 'type="file"' not in page and 'id="ks-capture"' not in page
    resp = me_upload(me, encode(portrait()), as_json=True)
    assert resp.status_code == 422 and resp.get_json()["failures"][0]["code"] == "locked"
    assert current(app, cid) == []


def test_school_may_still_take_the_photo_of_a_confirmed_candidate(app, login, staff):
    # The candidate's rules are not the school's (review.workflow.check_editable decides there).
    me, cid = own_candidate(app, login, state="confirmed")
    assert me_upload(me, encode(portrait())).status_code == 422
    staff.refresh_token(f"/photos/candidate/{cid}")
    assert upload_photo(staff, cid, encode(portrait()), as_json=True).status_code == 200
    assert len(current(app, cid)) == 1


def test_rejected_candidate_may_change_the_photo_again(app, login):
    me, cid = own_candidate(app, login, state="rejected")
    assert 'type="file"' in me.get("/me/photo").get_data(as_text=True)
    assert me_upload(me, encode(portrait()), as_json=True).status_code == 200
    assert len(current(app, cid)) == 1


def test_locked_record_refuses_the_candidate_with_the_lock_message(app, login):
    me, cid = own_candidate(app, login, state="rejected", locked=True)
    assert "解锁后才能修改" in me.get("/me/photo").get_data(as_text=True)
    assert me_upload(me, encode(portrait())).status_code == 422
    assert current(app, cid) == []


def test_adult_exam_photo_is_taken_on_site_only(app, login, staff):
    me, cid = own_candidate(app, login, kind=ADULT)
    page = me.get("/me/photo").get_data(as_text=True)
    assert "现场确认" in page and 'type="file"' not in page and "capture.js" not in page
    resp = me_upload(me, encode(portrait()), as_json=True)
    assert resp.status_code == 422 and "现场确认" in resp.get_json()["failures"][0]["message"]
    assert current(app, cid) == []
    staff.refresh_token(f"/photos/candidate/{cid}")
    assert upload_photo(staff, cid, encode(portrait()), as_json=True).status_code == 200


# --- ZIP import: archives built by hand -----------------------------------------------------


def import_report(app, resp):
    with app.app_context():
        imp = db.session.get(PhotoImport, int(resp.location.rstrip("/").rsplit("/", 1)[1]))
        return imp.status, imp.report, imp.stored_path


def with_flag_bits(data, name, bits):
    """Set general-purpose flag bits of member ``name`` in its local and central headers
    (zipfile itself cannot write an encrypted member)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info, pos = zf.getinfo(name), zf.start_dir
    struct.pack_into("<H", out, info.header_offset + 6, info.flag_bits | bits)
    while out[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, pos + 28)
        if out[pos + 46:pos + 46 + name_len] == name.encode():
            struct.pack_into("<H", out, pos + 8, info.flag_bits | bits)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


def damaged(data, name):
    """Flip bytes inside the stored data of member ``name``: its CRC no longer matches."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    start = info.header_offset + 30 + len(name.encode()) + 1000
    out[start:start + 16] = bytes(16)
    return bytes(out)


def x_candidate(app):
    """A candidate of 41010201 whose ID number ends in the check character X."""
    birth = dt.date(2011, 2, 3)
    idn = next(n for n in (make_id_number("410102", birth, s) for s in range(1, 999, 2))
               if n.endswith("X"))
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        cand = Candidate(exam=exam, node=node, name="叉号考生", gender="1", birth_date=birth,
                         id_number=idn, category="01", phone="13800001111")
        db.session.add(cand)
        db.session.commit()
        return cand.id, idn


def test_zip_duplicates_are_keyed_by_id_number(app, staff, run_jobs):
    cid, idn = x_candidate(app)
    [mine] = without_photos(app, 1)
    good = encode(portrait())
    upper, lower = f"{idn}.jpg", f"sub/{idn[:-1]}x.JPEG"
    resp = start_import(staff, app, make_zip([
        member(upper, good), member(lower, encode(portrait(bg=(20, 60, 160)))),
        member(f"{mine.id_number}.jpeg", good), member(f"{mine.id_number}.JPG", good)]))
    run_jobs()
    status, report, _path = import_report(app, resp)
    assert status == "done"
    assert sorted(report["matched"]) == sorted([upper, f"{mine.id_number}.jpeg"])
    rejected = {name: (code, reason) for name, code, reason in report["rejected"]}
    assert rejected[lower][0] == "duplicate" and upper in rejected[lower][1]
    assert rejected[f"{mine.id_number}.JPG"][0] == "duplicate"
    [photo] = current(app, cid)
    with app.app_context():
        assert storage.open_bytes(photo.file_sha256) == good  # the first one won


def test_zip_encrypted_damaged_and_backslash_members(app, staff, run_jobs):
    mine = without_photos(app, 3)
    good = encode(portrait(noise=10))
    data = make_zip([
        member(f"{mine[0].id_number}.jpg", good),
        member(f"{mine[1].id_number}.jpg", good),
        member(f"..\\{mine[2].id_number}.jpg", good),
        member(f"class1\\..\\..\\{mine[2].id_number}.jpg", good),
        member(f"C:\\photos\\{mine[2].id_number}.jpg", good),
        member(f"class1\\{mine[2].id_number}.jpg", good),
    ])
    data = with_flag_bits(data, f"{mine[0].id_number}.jpg", 0x1)
    data = damaged(data, f"{mine[1].id_number}.jpg")
    resp = start_import(staff, app, data)
    run_jobs()
    status, report, _path = import_report(app, resp)
    assert status == "done", report
    rejected = {name: code for name, code, _reason in report["rejected"]}
    assert rejected == {f"{mine[0].id_number}.jpg": "encrypted",
                        f"{mine[1].id_number}.jpg": "corrupt",
                        f"..\\{mine[2].id_number}.jpg": "unsafe_path",
                        f"class1\\..\\..\\{mine[2].id_number}.jpg": "unsafe_path",
                        f"C:\\photos\\{mine[2].id_number}.jpg": "unsafe_path"}
    # A backslash folder without ".." is a folder like any other.
    assert report["matched"] == [f"class1\\{mine[2].id_number}.jpg"]
    assert current(app, mine[0].id) == [] and current(app, mine[1].id) == []
    page = staff.get(resp.location).get_data(as_text=True)
    assert "加密" in page and "损坏" in page


def test_one_failing_member_never_stops_the_others(app, staff, run_jobs, monkeypatch):
    from app.photos import tasks

    mine = without_photos(app, 3)
    real = tasks.accept_photo

    def flaky(candidate, data, kind, user, **kw):
        if candidate.id == mine[1].id:
            real(candidate, data, kind, user, **kw)  # half done: stored, then it breaks
            raise RuntimeError("disk full")
        return real(candidate, data, kind, user, **kw)

    monkeypatch.setattr(tasks, "accept_photo", flaky)
    good = encode(portrait())
    resp = start_import(staff, app, make_zip([member(f"{c.id_number}.jpg", good) for c in mine]))
    run_jobs()
    status, report, path = import_report(app, resp)
    assert status == "done" and not os.path.exists(path)
    assert report["matched"] == [f"{mine[0].id_number}.jpg", f"{mine[2].id_number}.jpg"]
    assert report["rejected"][0][:2] == [f"{mine[1].id_number}.jpg", "error"]
    assert len(current(app, mine[0].id)) == 1 and len(current(app, mine[2].id)) == 1
    assert current(app, mine[1].id) == []  # its half-done change was undone


def test_crashed_job_is_failed_with_a_message_and_keeps_what_was_stored(
        app, staff, run_jobs, monkeypatch):
    from app import job_records
    from app.photos import tasks

    monkeypatch.setattr(tasks, "CHUNK", 1)  # one member per transaction, as progress reports
    mine = without_photos(app, 3)
    calls = []

    def progress(done, total, message=""):
        calls.append(done)
        if done == 2:
            raise ConnectionError("redis went away")

    monkeypatch.setattr(job_records, "report_progress", progress)
    good = encode(portrait())
    resp = start_import(staff, app, make_zip([member(f"{c.id_number}.jpg", good) for c in mine]))
    run_jobs()
    status, report, path = import_report(app, resp)
    with app.app_context():
        message = db.session.get(PhotoImport, int(resp.location.rsplit("/", 1)[1])).message
    assert status == "failed" and "内部错误" in message
    assert report["matched"] == [f"{mine[0].id_number}.jpg", f"{mine[1].id_number}.jpg"]
    assert len(current(app, mine[0].id)) == 1 and len(current(app, mine[1].id)) == 1
    assert current(app, mine[2].id) == []
    assert os.path.exists(path)  # kept for the administrator
    body = staff.get(resp.location + "/status").get_json()
    assert body["status"] == "failed" and body["final"]
    assert "内部错误" in body["error"]
    page = staff.get(resp.location).get_data(as_text=True)
    assert 'id="ks-import-error"' in page and 'data-final="yes"' in page
    assert 'id="ks-matched">2<' in page
