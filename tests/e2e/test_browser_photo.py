"""Photo capture in a real browser: Chromium's fake camera feeds the live preview, the taken
frame is posted as a JPEG, and the server's verdict appears next to the picture; a compliant
file uploaded through the same page becomes the candidate's photo."""
import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import CandidatePhoto
from e2e.test_browser_foundation import sign_in
from test_photo_checks import encode, portrait

pytestmark = pytest.mark.browser


def candidate_without_photo(app):
    with app.app_context():
        has_photo = select(CandidatePhoto.candidate_id).where(CandidatePhoto.current.is_(True))
        return db.session.execute(
            select(Candidate.id).join(Node).where(Node.code == "41010201",
                                                  Candidate.id.not_in(has_photo))
            .order_by(Candidate.id.desc())).scalars().first()


def current_photos(app, candidate_id):
    with app.app_context():
        return db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == candidate_id, CandidatePhoto.kind == "photo",
            CandidatePhoto.current.is_(True))).scalars().all()


def test_camera_capture_then_file_upload(page, live_url, app):
    cand = candidate_without_photo(app)
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/photos/candidate/{cand}")
    page.wait_for_selector("#ks-capture[data-camera=ready]", timeout=15000)
    assert page.eval_on_selector("#ks-video", "v => v.videoWidth") > 0
    page.click("#ks-take")
    size = page.eval_on_selector("#ks-canvas", "c => [c.width, c.height]")
    assert size == [900, 1200]
    page.click("#ks-send")
    page.wait_for_selector("#ks-capture[data-last-result]", timeout=15000)
    result = page.get_attribute("#ks-capture", "data-last-result")
    if result == "ok":
        assert len(current_photos(app, cand)) == 1
    else:
        # Chromium's test pattern is no portrait on blue: the named failures must show
        # next to the photo, and nothing is stored.
        codes = page.eval_on_selector_all("#ks-failures-photo li",
                                          "ls => ls.map(l => l.dataset.code)")
        assert "background_not_blue" in codes
        assert all(t.strip() for t in page.eval_on_selector_all(
            "#ks-failures-photo li", "ls => ls.map(l => l.textContent)"))
        assert current_photos(app, cand) == []

    page.set_input_files("#ks-picture-photo input[type=file]", files=[{
        "name": "photo.jpg", "mimeType": "image/jpeg", "buffer": encode(portrait())}])
    with page.expect_navigation():
        page.click("#ks-picture-photo button[type=submit]")
    [photo] = current_photos(app, cand)
    img = page.wait_for_selector("#ks-picture-photo img.ks-current")
    assert img.is_visible() and page.eval_on_selector(
        "#ks-picture-photo img.ks-current", "i => i.complete && i.naturalWidth") == 450
    assert page.locator("#ks-failures-photo li").count() == 0
    served = page.request.get(f"{live_url}/photos/file/{cand}/photo")
    assert served.status == 200 and served.headers["etag"].strip('"') == photo.file_sha256
