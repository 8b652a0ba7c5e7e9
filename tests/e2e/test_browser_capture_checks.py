"""The camera snapshot's checks in a real browser: Chromium's fake camera plays a portrait (on
blue, then on grey); each snapshot is checked before it is saved, its measured checks are
listed under the preview, and "use this picture" is enabled only when it passes."""
import os

import pytest
from PIL import Image

from e2e.conftest import launch_chromium, sign_in
from factories import make_candidate
from photo_faces import BLUE, portrait, write_y4m

pytestmark = pytest.mark.browser
FRAME = (960, 720)  # a 4:3 webcam frame; capture.js keeps its centred 3:4 part (540×720)
SHOTS = os.environ.get("KAOSHENG_SHOTS", "/tmp/kaosheng-shots")  # screenshots to look at


def scene(bg):
    frame = Image.new("RGB", FRAME, bg)
    frame.paste(portrait(540, 720, bg=bg), ((FRAME[0] - 540) // 2, 0))
    return frame


def camera(playwright, tmp_path_factory, bg):
    video = tmp_path_factory.mktemp("camera") / "scene.y4m"
    write_y4m(video, scene(bg))
    return launch_chromium(playwright, f"--use-file-for-fake-video-capture={video}")


@pytest.fixture(scope="module")
def blue_camera(playwright, tmp_path_factory):
    browser = camera(playwright, tmp_path_factory, BLUE)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def grey_camera(playwright, tmp_path_factory):
    browser = camera(playwright, tmp_path_factory, (160, 160, 160))
    yield browser
    browser.close()


def snapshot_checks(page, live_url, app):
    os.makedirs(SHOTS, exist_ok=True)
    cid = make_candidate(app, name="拍照考生")
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/photos/candidate/{cid}")
    page.wait_for_selector("#ks-capture[data-camera=ready]", timeout=15000)
    # The head oval at the share the rules ask for: 2/3 of the kept frame's height.
    ratio = page.evaluate("() => document.querySelector('.ks-oval-target').offsetHeight"
                          " / document.querySelector('#ks-guide').offsetHeight")
    assert abs(ratio - 2 / 3) < 0.02, ratio
    page.locator("#ks-camera").screenshot(path=f"{SHOTS}/capture-guide.png")
    page.click("#ks-take")
    page.wait_for_selector("#ks-capture[data-check]", timeout=20000)
    rows = page.eval_on_selector_all(
        "#ks-snapshot-checks tbody tr",
        "rs => rs.map(r => [r.dataset.code, r.className, r.cells.length])")
    return cid, {code: cls for code, cls, _n in rows}


def test_a_passing_snapshot_lists_its_checks_and_may_be_saved(blue_camera, live_url, app):
    context = blue_camera.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        _cid, rows = snapshot_checks(page, live_url, app)
        assert page.get_attribute("#ks-capture", "data-check") == "pass", rows
        assert rows["head_height"] == "ks-check-ok" and "background_not_blue" in rows
        assert page.is_enabled("#ks-send")
        page.screenshot(path=f"{SHOTS}/capture-checks-pass.png", full_page=True)
        page.click("#ks-send")
        page.wait_for_selector("#ks-capture[data-last-result=ok]", timeout=20000)
        # The saved picture's measurements appear under it.
        assert page.locator("#ks-checks-photo tbody tr[data-code=head_height]").count() == 1
    finally:
        context.close()


def test_a_failing_snapshot_cannot_be_saved(grey_camera, live_url, app):
    context = grey_camera.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        _cid, rows = snapshot_checks(page, live_url, app)
        assert page.get_attribute("#ks-capture", "data-check") == "fail"
        assert rows["background_not_blue"] == "ks-check-fail", rows
        assert "蓝" in page.inner_text("#ks-snapshot-checks tr[data-code=background_not_blue]")
        assert page.is_disabled("#ks-send")
        page.screenshot(path=f"{SHOTS}/capture-checks-fail.png", full_page=True)
        page.click("#ks-retake")
        assert page.is_hidden("#ks-snapshot-checks")
    finally:
        context.close()
