"""Photos and ID documents through HTTP: capture uploads, scoped files, the ZIP import."""
import io
import json
import os
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.candidates.models import Candidate
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos import storage
from app.photos.checks import CANDIDATE_PHOTO, ID_DOCUMENT, check_photo
from app.photos.models import CandidatePhoto, PhotoImport
from test_photo_checks import document, encode, portrait


def candidates(app, school_code):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.id_number).join(Node)
            # Other test files lock some records of the same school; pictures of those
            # may not change, which is theirs to test.
            .where(Node.code == school_code, Candidate.locked.is_(False))
            .order_by(Candidate.id)).all()


def current(app, candidate_id, kind="photo"):
    with app.app_context():
        return db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == candidate_id, CandidatePhoto.kind == kind,
            CandidatePhoto.current.is_(True))).scalars().all()


def upload(client, candidate_id, data, kind="photo", as_json=False, name="p.jpg"):
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(f"/photos/candidate/{candidate_id}/upload?kind={kind}",
                       {"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers)


@pytest.fixture
def staff(login):
    c = login("zy_school")
    c.refresh_token("/photos/import/")
    return c


def test_compliant_photo_is_stored_as_is_and_served(app, staff):
    cand = candidates(app, "41010201")[0]
    data = encode(portrait())
    resp = upload(staff, cand.id, data)
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
    assert upload(staff, cand.id, encode(portrait())).status_code == 302
    second = encode(portrait(bg=(20, 60, 160)))
    resp = upload(staff, cand.id, second, as_json=True)
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    [photo] = current(app, cand.id)
    with app.app_context():
        assert storage.open_bytes(photo.file_sha256) == second
        assert db.session.execute(select(func.count()).select_from(CandidatePhoto).where(
            CandidatePhoto.candidate_id == cand.id)).scalar() == 2


@pytest.mark.parametrize("make, codes", [
    (lambda: b"GIF89a not an image", {"unsupported_format"}),
    (lambda: encode(portrait().convert("L")), {"greyscale"}),
    (lambda: encode(portrait(bg=(255, 255, 255))), {"background_not_blue"}),
    (lambda: encode(portrait(300, 400)), {"too_small"}),
], ids=["not-an-image", "greyscale", "white-background", "too-small"])
def test_rejected_upload_shows_failures_next_to_the_picture(app, staff, make, codes):
    cand = candidates(app, "41010201")[2]
    resp = upload(staff, cand.id, make())
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    panel = page[page.index('id="ks-failures-photo"'):page.index('id="ks-failures-id_document"')]
    for code in codes:
        assert f'data-code="{code}"' in panel
    assert current(app, cand.id) == []
    body = upload(staff, cand.id, make(), as_json=True).get_json()
    assert body["ok"] is False and codes <= {f["code"] for f in body["failures"]}
    assert all(f["message"] for f in body["failures"])


def test_greyscale_message_is_translated(app, staff):
    cand = candidates(app, "41010201")[2]
    page = upload(staff, cand.id, encode(portrait().convert("L"))).get_data(as_text=True)
    assert "黑白" in page


def test_upload_over_10_mb_is_refused_with_a_message(app, staff):
    cand = candidates(app, "41010201")[2]
    resp = upload(staff, cand.id, b"\xff\xd8\xff" + os.urandom(10 * 1024 * 1024 + 10),
                  as_json=True)
    assert resp.status_code == 413
    assert resp.get_json()["failures"][0]["code"] == "upload_too_large"
    assert "10 MB" in resp.get_json()["failures"][0]["message"]
    assert current(app, cand.id) == []


def test_big_source_is_normalised_to_a_compliant_file(app, staff):
    cand = candidates(app, "41010201")[3]
    source = encode(portrait(1200, 1600, noise=40), quality=95)
    assert check_photo(source) != []
    resp = upload(staff, cand.id, source, as_json=True)
    assert resp.status_code == 200, resp.get_json()
    served = staff.get(f"/photos/file/{cand.id}/photo").data
    assert Image.open(io.BytesIO(served)).size == (450, 600)
    assert len(served) <= CANDIDATE_PHOTO.max_bytes and check_photo(served) == []
    original = staff.get(f"/photos/file/{cand.id}/photo?original=1")
    assert original.status_code == 200 and original.data == source


def test_id_document_is_normalised(app, staff):
    cand = candidates(app, "41010201")[3]
    resp = upload(staff, cand.id, encode(document(1600, 1200)), kind="id_document",
                  as_json=True)
    assert resp.status_code == 200, resp.get_json()
    served = staff.get(f"/photos/file/{cand.id}/id_document").data
    assert check_photo(served, ID_DOCUMENT) == []


def test_unknown_kind_is_404(app, staff):
    cand = candidates(app, "41010201")[0]
    assert upload(staff, cand.id, encode(portrait()), kind="passport").status_code == 404
    assert staff.get(f"/photos/file/{cand.id}/passport").status_code == 404


def test_sibling_county_is_404(app, login, staff):
    other = candidates(app, "41010301")[0]
    own = candidates(app, "41010201")[0]
    eq = login("eq_school")
    eq.refresh_token("/photos/import/")
    assert upload(eq, other.id, encode(portrait())).status_code == 302
    assert staff.get(f"/photos/candidate/{other.id}").status_code == 404
    assert upload(staff, other.id, encode(portrait())).status_code == 404
    assert staff.get(f"/photos/file/{other.id}/photo").status_code == 404
    assert login("zy_admin").get(f"/photos/file/{other.id}/photo").status_code == 404
    assert login("eq_admin").get(f"/photos/file/{other.id}/photo").status_code == 200
    assert login("eq_admin").get(f"/photos/file/{own.id}/photo").status_code == 404


def test_reviewer_may_view_but_not_capture(app, login):
    own = candidates(app, "41010201")[0]
    reviewer = login("zy_reviewer")
    assert reviewer.get(f"/photos/file/{own.id}/photo").status_code == 200
    assert reviewer.get(f"/photos/file/{own.id}/photo?original=1").status_code == 404
    page = reviewer.get(f"/photos/candidate/{own.id}")
    assert page.status_code == 200 and f"/photos/file/{own.id}/photo" in page.text
    assert 'id="ks-camera"' not in page.text and 'type="file"' not in page.text
    reviewer.refresh_token("/login/")
    assert upload(reviewer, own.id, encode(portrait())).status_code in (302, 403)
    assert reviewer.get("/photos/import/").status_code in (302, 403)


# --- ZIP import ---------------------------------------------------------------------


def exam_id(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()




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
    own = candidates(app, "41010202")  # sibling school, same county: not zy_school's
    mine = candidates(app, "41010201")[10:14]
    other = candidates(app, "41010301")[5]
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
    assert status["state"] == "finished" and status["import_status"] == "done", status
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
    cand = candidates(app, "41010201")[15]
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
