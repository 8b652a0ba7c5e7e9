"""Photo capture in a real browser. Chromium's fake camera plays a Y4M video of a portrait on
blue drawn here, so a picture taken through the staff capture page or the candidate's own
/me/photo (on a phone-sized screen) must pass every check and be stored as a 450×600 compliant
photo. Over plain HTTP on a non-local name the page offers the file upload only; a file
uploaded through the capture page works as well."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.photos.checks import check_photo
from app.photos.models import CandidatePhoto
from conftest import Client
from e2e.conftest import launch_chromium, sign_in
from factories import self_service_candidate
from helpers import GOOD, activate, issue, without_photos
from photo_faces import BLUE, encode, portrait

pytestmark = pytest.mark.browser
# A 4:3 webcam frame; capture.js keeps its centred 3:4 part (540×720), where the portrait is.
FRAME = (960, 720)


def write_y4m(path, picture, frames=3):
    """An uncompressed 4:2:0 Y4M video of ``picture``, in the studio-range BT.601 YUV that
    Chromium's file-backed fake camera decodes (Pillow's YCbCr is full range)."""
    w, h = picture.size
    y, cb, cr = picture.convert("YCbCr").split()
    luma = y.point(lambda v: 16 + v * 219 // 255)
    chroma = [c.resize((w // 2, h // 2), Image.Resampling.BOX)
              .point(lambda v: 16 + v * 224 // 255) for c in (cb, cr)]
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + luma.tobytes() + chroma[0].tobytes() + chroma[1].tobytes())


def camera_scene():
    frame = Image.new("RGB", FRAME, BLUE)
    frame.paste(portrait(540, 720), ((FRAME[0] - 540) // 2, 0))
    return frame


@pytest.fixture(scope="module")
def camera_browser(playwright, tmp_path_factory):
    video = tmp_path_factory.mktemp("camera") / "portrait.y4m"
    write_y4m(video, camera_scene())
    # office.test reaches the test server over plain HTTP under a name that is not localhost.
    browser = launch_chromium(playwright, f"--use-file-for-fake-video-capture={video}",
                              "--host-resolver-rules=MAP office.test 127.0.0.1")
    yield browser
    browser.close()


@pytest.fixture
def camera_page(camera_browser):
    context = camera_browser.new_context(locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(camera_browser):
    context = camera_browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    yield context.new_page()
    context.close()


def candidate_without_photo(app):
    [(cid, _idn)] = without_photos(app, 1)
    return cid


def current_photos(app, candidate_id):
    with app.app_context():
        return db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == candidate_id, CandidatePhoto.kind == "photo",
            CandidatePhoto.current.is_(True))).scalars().all()


def test_fake_camera_picture_is_stored_as_a_compliant_photo(camera_page, live_url, app):
    page, cand = camera_page, candidate_without_photo(app)
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/photos/candidate/{cand}")
    page.wait_for_selector("#ks-capture[data-camera=ready]", timeout=15000)
    assert page.eval_on_selector("#ks-video", "v => [v.videoWidth, v.videoHeight]") == list(FRAME)
    # The ID document's guide is landscape and has no head oval.
    assert "ks-landscape" not in page.get_attribute("#ks-guide", "class")
    page.select_option("#ks-kind", "id_document")
    assert "ks-landscape" in page.get_attribute("#ks-guide", "class")
    page.select_option("#ks-kind", "photo")

    page.click("#ks-take")
    assert page.eval_on_selector("#ks-canvas", "c => [c.width, c.height]") == [900, 1200]
    page.click("#ks-send")
    page.wait_for_selector("#ks-capture[data-last-result]", timeout=15000)
    failures = page.eval_on_selector_all("#ks-failures-photo li",
                                         "ls => ls.map(l => l.dataset.code)")
    assert page.get_attribute("#ks-capture", "data-last-result") == "ok", failures
    assert failures == []

    [photo] = current_photos(app, cand)
    assert photo.file_sha256 != photo.original_sha256  # the 900×1200 frame was normalised
    served = page.request.get(f"{live_url}/photos/file/{cand}/photo")
    assert served.status == 200 and served.headers["etag"].strip('"') == photo.file_sha256
    assert Image.open(io.BytesIO(served.body())).size == (450, 600)
    assert check_photo(served.body()) == []
    original = page.request.get(f"{live_url}/photos/file/{cand}/photo?original=1")
    assert Image.open(io.BytesIO(original.body())).size == (900, 1200)
    page.wait_for_function(
        "() => { const i = document.querySelector('#ks-picture-photo img.ks-current');"
        " return i && !i.hidden && i.complete && i.naturalWidth === 450; }")


def test_candidate_takes_own_photo_on_a_phone(phone, live_url, app, login):
    cid, idn = self_service_candidate(app, name="自拍考生")
    assert activate(Client(app), idn, issue(login("zy_school"), cid)).status_code == 302
    phone.goto(f"{live_url}/me/login")
    phone.fill("input[name=id_number]", idn)
    phone.fill("input[name=password]", GOOD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_url}/me/")
    phone.goto(f"{live_url}/me/photo")
    # Mobile first and small: no framework, no CDN; the camera waits to be asked for.
    assert phone.evaluate("document.documentElement.outerHTML.length") < 8000
    assert phone.evaluate("[...document.querySelectorAll('link[href],script[src]')]"
                          ".every(e => (e.href || e.src).startsWith(location.origin))")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.get_attribute("#ks-capture", "data-camera") is None
    phone.click("#ks-start")
    phone.wait_for_selector("#ks-capture[data-camera=ready]", timeout=15000)
    assert "ks-landscape" not in phone.get_attribute("#ks-guide", "class")
    phone.click("#ks-take")
    phone.click("#ks-retake")
    assert phone.is_visible("#ks-video") and not phone.is_visible("#ks-canvas")
    phone.click("#ks-take")
    phone.click("#ks-send")
    phone.wait_for_selector("#ks-capture[data-last-result]", timeout=15000)
    assert phone.get_attribute("#ks-capture", "data-last-result") == "ok", \
        phone.inner_text("#ks-failures-photo")
    assert phone.inner_text("#ks-status") == "已保存"
    [photo] = current_photos(app, cid)
    served = phone.request.get(f"{live_url}/me/photo/file")
    assert served.headers["etag"].strip('"') == photo.file_sha256
    assert check_photo(served.body()) == []
    phone.wait_for_function(
        "() => { const i = document.querySelector('#ks-picture-photo img.ks-current');"
        " return i && !i.hidden && i.complete && i.naturalWidth === 450; }")
    assert phone.locator("#no-photo").count() == 0


def test_plain_http_page_offers_file_upload_only(camera_page, live_url, app):
    # Browsers hide getUserMedia from pages that are neither HTTPS nor localhost.
    office = live_url.replace("127.0.0.1", "office.test")
    sign_in(camera_page, office, "zy_school")
    camera_page.goto(f"{office}/photos/candidate/{candidate_without_photo(app)}")
    camera_page.wait_for_selector("#ks-capture[data-camera=unavailable]")
    assert "HTTPS" in camera_page.inner_text("#ks-status")
    assert camera_page.is_disabled("#ks-start") and camera_page.is_disabled("#ks-take")
    assert camera_page.is_visible("#ks-picture-photo input[type=file]")


def test_file_upload_through_the_capture_page(page, live_url, app):
    cand = candidate_without_photo(app)
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/photos/candidate/{cand}")
    page.set_input_files("#ks-picture-photo input[type=file]", files=[{
        "name": "photo.jpg", "mimeType": "image/jpeg", "buffer": encode(portrait())}])
    with page.expect_navigation():
        page.click("#ks-picture-photo button[type=submit]")
    [photo] = current_photos(app, cand)
    assert page.eval_on_selector(
        "#ks-picture-photo img.ks-current", "i => i.complete && i.naturalWidth") == 450
    assert page.locator("#ks-failures-photo li").count() == 0
    served = page.request.get(f"{live_url}/photos/file/{cand}/photo")
    assert served.status == 200 and served.headers["etag"].strip('"') == photo.file_sha256
