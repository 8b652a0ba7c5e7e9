"""The ID document's card checks: the card finder on generated pictures, and through HTTP the
upload (a tilted card is levelled, cropped and accepted with the steps named; a cut-off card or
a picture of no card is refused with every reason) and the check endpoint (the card checks
listed with value, range, pass/fail and fix hint)."""
import io

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.photos.card import find_cards, measure_card
from app.photos.checks import ID_DOCUMENT, check_photo
from app.photos.models import CandidatePhoto
from app.photos.normalise import NormaliseError, normalise
from factories import make_candidate
from helpers import upload_photo
from photo_faces import card_photo, desk, encode


def phone(im, quality=85):
    """What a phone or capture.js sends: a JPEG without the spec's dpi."""
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def codes(data):
    return [f.code for f in check_photo(data, ID_DOCUMENT)]


# -- the finder -------------------------------------------------------------------------

@pytest.mark.parametrize("tilt", [0, 7, -13, 25])
@pytest.mark.parametrize("surface", ["wood", "dark", "scanner"])
def test_the_card_and_its_tilt_are_found(tilt, surface):
    [card] = find_cards(np.asarray(card_photo(share=0.6, tilt=tilt, surface=surface)))
    assert card.tilt == pytest.approx(tilt, abs=1.0)
    assert card.size[0] / card.size[1] == pytest.approx(85.6 / 54, rel=0.05)
    assert card.size[0] / 1600 == pytest.approx(0.6, abs=0.03)
    assert card.centre == pytest.approx((800, 600), abs=12)


def test_measurements_of_an_off_centre_card():
    values, _cards = measure_card(np.asarray(card_photo(share=0.5, centre=(0.65, 0.4))))
    assert values["card_off_centre"] == pytest.approx(0.15, abs=0.01)
    assert values["card_small"] == pytest.approx(0.5, abs=0.03)
    assert values["card_cut"] > 0.05


@pytest.mark.parametrize("picture,count,cut", [
    (lambda: card_photo(share=0.4, cards=2), 2, None),
    (lambda: desk(1600, 1200), 0, None),
    (lambda: card_photo(share=0.6, centre=(0.9, 0.5)), 1, True),
    (lambda: card_photo(share=0.6, centre=(0.5, 0.5)), 1, False),
])
def test_two_cards_no_card_and_a_cut_card(picture, count, cut):
    values, cards = measure_card(np.asarray(picture()))
    assert values["no_card"] == len(cards) == count
    if cut is not None:
        assert (values["card_cut"] == 0) is cut


def test_an_800x600_file_with_every_card_failure_reports_all_of_them():
    im = card_photo(share=0.4, tilt=9, centre=(0.62, 0.5)).resize((800, 600))
    data = encode(im)
    assert sorted(codes(data)) == ["card_off_centre", "card_small", "card_tilted"]
    report = check_photo(data, ID_DOCUMENT)
    tilted = next(f for f in report if f.code == "card_tilted")
    assert float(tilted.value.rstrip("°")) == pytest.approx(9, abs=0.5)
    assert tilted.required == "≤ 3.0°" and tilted.hint
    assert report.measurements["card_small"][1] == "≥ 50%"


def test_the_normaliser_levels_and_crops_a_tilted_card():
    out = normalise(phone(card_photo(share=0.6, tilt=-18)), ID_DOCUMENT)
    assert Image.open(io.BytesIO(out)).size == (800, 600) and codes(out) == []
    steps = " ".join(str(s) for s in out.steps)
    assert "18.0°" in steps and "Turned the picture" in steps and "Cropped" in steps
    [card] = find_cards(np.asarray(Image.open(io.BytesIO(out))))
    assert abs(card.tilt) < 1 and card.size[0] / 800 > 0.85


def test_the_normaliser_never_upscales_a_small_card():
    with pytest.raises(NormaliseError) as e:
        normalise(phone(card_photo(share=0.3)), ID_DOCUMENT)
    assert [f.code for f in e.value.failures] == ["card_small", "too_small"]
    assert "800×600" in str(e.value) and "required ≥ 50%" in str(e.value)


# -- through HTTP -------------------------------------------------------------------------

def post_check(client, cid, data):
    client.refresh_token(f"/photos/candidate/{cid}")
    return client.post(f"/photos/candidate/{cid}/check?kind=id_document",
                       {"file": (io.BytesIO(data), "camera.jpg")},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


def stored(app, cid):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CandidatePhoto).where(
            CandidatePhoto.candidate_id == cid, CandidatePhoto.kind == "id_document"))


def test_a_tilted_card_is_levelled_and_accepted_with_its_steps(app, school_staff):
    cid = make_candidate(app)
    school_staff.refresh_token(f"/photos/candidate/{cid}")
    resp = upload_photo(school_staff, cid, phone(card_photo(share=0.65, tilt=12)),
                        kind="id_document", as_json=True)
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"], body
    # found (tilt), turned level, cropped around the card, saved
    steps = body["steps"]
    assert len(steps) == 4 and "12.0°" in steps[0] and "12.0°" in steps[1], steps
    assert "800×600" in steps[2] and "300 dpi" in steps[3]
    checks = {c["code"]: c for c in body["checks"]}
    assert checks["card_tilted"]["ok"] and checks["card_tilted"]["required"] == "≤ 3.0°"
    assert checks["no_card"]["value"] == "1"
    served = school_staff.get(f"/photos/file/{cid}/id_document").data
    assert codes(served) == [] and stored(app, cid) == 1
    page = school_staff.get(f"/photos/candidate/{cid}").get_data(as_text=True)
    panel = page[page.index('id="ks-picture-id_document"'):]
    assert 'data-code="card_tilted"' in panel and checks["card_tilted"]["label"] in panel


@pytest.mark.parametrize("picture,reason", [
    (lambda: card_photo(share=0.6, centre=(0.88, 0.5)), "card_cut"),
    (lambda: desk(1600, 1200), "no_card"),
    (lambda: card_photo(share=0.4, cards=2), "several_cards"),
])
def test_a_cut_card_or_no_card_is_refused_with_the_reason(app, school_staff, picture, reason):
    cid = make_candidate(app)
    school_staff.refresh_token(f"/photos/candidate/{cid}")
    resp = upload_photo(school_staff, cid, phone(picture()), kind="id_document", as_json=True)
    body = resp.get_json()
    assert resp.status_code == 422 and not body["ok"]
    failure = next(f for f in body["failures"] if f["code"] == reason)
    assert failure["hint"] and failure["required"]
    assert stored(app, cid) == 0
    # The page (no JSON) names the reason next to the ID document.
    page = upload_photo(school_staff, cid, phone(picture()), kind="id_document")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    panel = html[html.index('id="ks-failures-id_document"'):]
    assert f'data-code="{reason}"' in panel[:panel.index("</ul>")]


def test_the_check_endpoint_lists_the_card_checks_and_stores_nothing(app, school_staff):
    cid = make_candidate(app)
    body = post_check(school_staff, cid, phone(card_photo(1200, 900, share=0.4, tilt=5))).get_json()
    checks = {c["code"]: c for c in body["checks"]}
    assert body["ok"] is False and not checks["too_small"]["ok"]  # never upscaled
    assert {"no_card", "several_cards", "card_cut", "card_blurred"} <= set(checks)
    tilted = checks["card_tilted"]
    assert float(tilted["value"].rstrip("°")) == pytest.approx(5, abs=0.5)
    assert not tilted["ok"] and tilted["hint"]
    assert tilted["label"] not in ("", "card_tilted")
    good = post_check(school_staff, cid, phone(card_photo(1200, 900, share=0.8, tilt=4))).get_json()
    assert good["ok"] is True, good
    assert {c["code"]: c for c in good["checks"]}["card_tilted"]["ok"]
    assert stored(app, cid) == 0
