"""Reviewers see a photo's check results beside it and filter the review list by photo problem
(a rule the stored photo fails or warns on, no photo, not checked yet), read from the results
kept when the photo was stored; pictures stored before the results were kept are checked once
when their dossier is shown, or all at once by ``flask kaosheng photo-recheck``."""

import json
import re

from sqlalchemy import select

from app.candidates.models import Candidate
from app.extensions import db
from app.photos import storage
from app.photos.models import CandidatePhoto, PhotoProblem, StoredFile
from app.photos.rules import RULES
from app.photos.service import accept_photo
from factories import make_candidate
from helpers import text, upload_photo
from photo_faces import encode, halftone, portrait

CLEAN = encode(portrait())
# A print's dot screen, scanned again: passes every rule, warned as a suspected rescan.
RESCAN = encode(halftone(portrait(), 6, 45, 1.5))
# A head too small (0.40 of the height): refused today, but a picture stored before the checks
# were kept may look like this.
SMALL_HEAD = encode(portrait(head=(0.2, 0.6)))


def listed(client, problem):
    page = text(client.get(f"/review/list/?_flt_0_photo_problem={problem}&psize_ReviewView=100"))
    assert "photo_problem" in page  # the filter is offered
    return page


def shows(page, cid):
    return f"/review/show/{cid}\"" in page or f"/review/show/{cid}?" in page


def legacy_photo(app, cid, data):
    """A current photo stored without kept results, as before revision 0022."""
    with app.app_context():
        sha = storage.store(data)
        if db.session.get(StoredFile, sha) is None:
            db.session.add(StoredFile(sha256=sha, size=len(data), content_type="image/jpeg"))
        db.session.add(CandidatePhoto(candidate_id=cid, kind="photo", file_sha256=sha,
                                      original_sha256=sha, current=True))
        db.session.commit()


def version(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).version


def test_stored_problems_filter_the_review_list(app, school_staff, county_reviewer):
    clean, rescan, none = (make_candidate(app, name=n) for n in ("干净照片", "翻拍照片", "没有照片"))
    school_staff.refresh_token(f"/photos/candidate/{clean}")
    assert upload_photo(school_staff, clean, CLEAN, as_json=True).get_json()["ok"]
    body = upload_photo(school_staff, rescan, RESCAN, as_json=True).get_json()
    assert body["ok"], body
    assert {c["code"] for c in body["checks"] if c["warn"]} == {"rescan_suspected"}
    with app.app_context():
        kept = db.session.execute(select(PhotoProblem.code, PhotoProblem.warn).join(
            CandidatePhoto, CandidatePhoto.id == PhotoProblem.photo_id).where(
            CandidatePhoto.candidate_id == rescan)).all()
    assert kept == [("rescan_suspected", True)]

    page = listed(county_reviewer, "rescan_suspected")
    assert shows(page, rescan) and not shows(page, clean) and not shows(page, none)
    page = listed(county_reviewer, "no_photo")
    assert shows(page, none) and not shows(page, clean) and not shows(page, rescan)
    page = listed(county_reviewer, "head_height")
    assert not shows(page, clean) and not shows(page, rescan)
    # A new, clean photo replaces the rescan: its problems no longer count.
    upload_photo(school_staff, rescan, CLEAN, as_json=True)
    assert not shows(listed(county_reviewer, "rescan_suspected"), rescan)


def test_the_dossier_shows_the_checks_beside_the_photo(app, school_staff, county_reviewer):
    cid = make_candidate(app, name="翻拍照片")
    school_staff.refresh_token(f"/photos/candidate/{cid}")
    upload_photo(school_staff, cid, RESCAN, as_json=True)
    page = text(county_reviewer.get(f"/review/show/{cid}"))
    table = page[page.index('id="ks-checks-photo"'):]
    table = table[:table.index("</table>")]
    assert 'data-code="rescan_suspected" class="ks-check-warn"' in table
    assert 'data-code="head_height" class="ks-check-ok"' in table
    assert "55%–80%" in table


def test_an_old_photo_is_checked_when_its_dossier_is_shown(app, county_reviewer):
    cid = make_candidate(app, name="旧照片")
    legacy_photo(app, cid, SMALL_HEAD)
    before = version(app, cid)
    assert shows(listed(county_reviewer, "unchecked"), cid)
    assert not shows(listed(county_reviewer, "head_height"), cid)

    page = text(county_reviewer.get(f"/review/show/{cid}"))
    assert 'data-code="head_height" class="ks-check-fail"' in page
    assert shows(listed(county_reviewer, "head_height"), cid)
    assert not shows(listed(county_reviewer, "unchecked"), cid)
    # The results are no change to the record: printed forms stay current.
    assert version(app, cid) == before


def test_photo_recheck_keeps_the_results_of_every_old_photo(app, county_reviewer):
    ids = [make_candidate(app, name=f"旧照片{i}") for i in range(2)]
    for cid in ids:
        legacy_photo(app, cid, SMALL_HEAD)
    result = app.test_cli_runner().invoke(args=["kaosheng", "photo-recheck"])
    assert result.exit_code == 0, result.output
    assert "checked" in result.output
    page = listed(county_reviewer, "head_height")
    assert all(shows(page, cid) for cid in ids)
    assert not any(shows(listed(county_reviewer, "unchecked"), cid) for cid in ids)


def test_the_filter_stays_inside_the_reviewers_jurisdiction(app, login, county_reviewer):
    other = make_candidate(app, school="41010501", name="外区翻拍")
    staff = login("zy_school")  # cannot reach it; store through the service as another county
    with app.app_context():
        photo, failures = accept_photo(db.session.get(Candidate, other), RESCAN, "photo", None)
        assert photo is not None and not failures
        db.session.commit()
    assert staff.get(f"/photos/candidate/{other}").status_code == 404
    assert not shows(listed(county_reviewer, "rescan_suspected"), other)


def test_the_filter_offers_every_problem_in_chinese(county_reviewer):
    page = text(county_reviewer.get("/review/list/?all=1"))
    # FAB hands the search fields to its filter script as JSON: {column: "<select …>"}.
    script = r"new AdminFilters\(\s*'#filter_form',\s*\{.*?\},\s*(\{.*?\}),\s*\{"
    fields = json.loads(re.search(script, page, re.S).group(1))
    options = dict(re.findall(r'<option value="(\w+)">([^<]*)</option>', fields["photo_problem"]))
    assert options["no_photo"] == "无照片" and options["rescan_suspected"]
    assert set(RULES) <= set(options)
    assert not any(re.search("[a-z]{3,}", label) for label in options.values()), options
