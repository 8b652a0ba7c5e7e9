"""Photo checks and normaliser, on pictures drawn in code (no fixtures, no Flask app)."""
import dataclasses
import io
import struct
import warnings

import numpy as np
import pytest
from PIL import Image, features

from app.photos.checks import (
    CANDIDATE_PHOTO,
    ID_DOCUMENT,
    MAX_PIXELS,
    check_photo,
)
from app.photos.normalise import NormaliseError, encode_to_fit, normalise
from photo_faces import BLUE, card_photo, document, encode, portrait


def codes(data, spec=CANDIDATE_PHOTO):
    return [f.code for f in check_photo(data, spec)]


def with_orientation(im, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(im, exif=exif)


def claim_size(data, w, h):
    """Rewrite the SOF header so the JPEG claims w x h; the scan data stays small."""
    i = 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:i + 5] + struct.pack(">HH", h, w) + data[i + 9:]
        i += 2 + length


def assert_clean_output(out, spec):
    im = Image.open(io.BytesIO(out))
    assert im.format == "JPEG"
    assert im.size == (spec.width, spec.height)
    assert im.info["dpi"] == (300, 300)
    assert len(out) <= spec.max_bytes
    assert im.getexif().get(0x0112) is None
    assert codes(out, spec) == []


# -- check_photo: one defect at a time ----------------------------------------

def test_compliant_photo_has_no_failures():
    data = encode(portrait())
    assert len(data) <= CANDIDATE_PHOTO.max_bytes
    assert check_photo(data) == []


@pytest.mark.parametrize("bg", [BLUE, (0, 191, 243), (20, 60, 160)],
                         ids=["standard", "light", "dark"])
def test_shades_of_blue_background_pass(bg):
    assert codes(encode(portrait(bg=bg))) == []


@pytest.mark.parametrize("data", [
    encode(portrait(), "PNG"),
    encode(portrait(), "GIF"),
    b"GIF89a not really",
    b"",
    b"\x00" * 100,
], ids=["png", "gif", "gif-magic", "empty", "zeros"])
def test_not_jpeg_is_the_only_failure(data):
    assert codes(data) == ["not_jpeg"]


@pytest.mark.parametrize("cut", ["half", "no-eoi", "header-only"])
def test_truncated_jpeg_is_corrupt(cut):
    data = encode(portrait(noise=30))
    end = {"half": len(data) // 2, "no-eoi": len(data) - 2, "header-only": 200}[cut]
    assert codes(data[:end]) == ["corrupt"]


def test_jpeg_magic_with_garbage_is_corrupt():
    assert codes(b"\xff\xd8\xff\xe0" + b"\x13\x37" * 500) == ["corrupt"]


def test_header_over_our_pixel_limit_is_refused_before_decoding():
    data = claim_size(encode(portrait()), 9000, 8000)
    assert 9000 * 8000 > MAX_PIXELS
    assert 9000 * 8000 < Image.MAX_IMAGE_PIXELS  # only our own limit stands in the way
    assert codes(data) == ["too_large_pixels"]


def test_pillow_decompression_bomb_error_is_a_failure_not_a_crash():
    data = claim_size(encode(portrait()), 60000, 60000)
    assert codes(data) == ["too_large_pixels"]


def test_pillow_bomb_warning_as_error_is_a_failure_not_a_crash():
    data = claim_size(encode(portrait()), 10000, 10000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert codes(data) == ["too_large_pixels"]


def test_wrong_size():
    failures = check_photo(encode(portrait(460, 600)))
    assert [f.code for f in failures] == ["wrong_size"]
    assert "450×600" in str(failures[0].message) and "460×600" in str(failures[0].message)


def test_right_aspect_but_too_many_pixels_is_wrong_size():
    data = encode(portrait(600, 800), quality=40)
    assert len(data) <= CANDIDATE_PHOTO.max_bytes
    assert codes(data) == ["wrong_size"]


@pytest.mark.parametrize("dpi", [(72, 72), (299, 299), (300, 150)])
def test_dpi_low(dpi):
    assert codes(encode(portrait(), dpi=dpi)) == ["dpi_low"]


def test_dpi_missing():
    buf = io.BytesIO()
    portrait().save(buf, "JPEG", quality=75)  # Pillow writes JFIF density "1:1, no unit"
    assert codes(buf.getvalue()) == ["dpi_missing"]


@pytest.mark.parametrize("resolution, unit, expected", [
    (300, 2, []), (72, 2, ["dpi_low"]),
    (119, 3, []),  # dots per centimetre: 119 × 2.54 = 302 dpi
], ids=["300-dpi", "72-dpi", "per-centimetre"])
def test_dpi_is_read_from_exif_when_jfif_has_none(resolution, unit, expected):
    exif = Image.Exif()
    exif[0x011A] = exif[0x011B] = resolution  # X/YResolution
    exif[0x0128] = unit                       # ResolutionUnit: 2 inch, 3 centimetre
    buf = io.BytesIO()
    portrait().save(buf, "JPEG", quality=75, exif=exif)  # no dpi=: JFIF says "no unit"
    im = Image.open(io.BytesIO(buf.getvalue()))
    assert im.info["jfif_unit"] == 0 and im.info["jfif_density"] == (1, 1)
    assert codes(buf.getvalue()) == expected


def test_file_size_limit_is_inclusive():
    base = encode(portrait())
    limit = CANDIDATE_PHOTO.max_bytes
    # A COM segment adds len(comment) + 4 bytes (marker and length).
    exact = encode(portrait(), comment=b"x" * (limit - len(base) - 4))
    assert len(exact) == limit
    assert codes(exact) == []
    over = encode(portrait(), comment=b"x" * (limit - len(base) - 3))
    assert codes(over) == ["file_too_large"]


def test_greyscale_jpeg_mode_l():
    assert "greyscale" in codes(encode(portrait().convert("L")))


def test_greyscale_picture_stored_as_rgb():
    data = encode(portrait().convert("L").convert("RGB"))
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    assert "greyscale" in codes(data)


@pytest.mark.parametrize("bg", [(255, 255, 255), (200, 40, 40), (0, 170, 170), (120, 60, 200)],
                         ids=["white", "red", "cyan", "violet"])
def test_background_not_blue(bg):
    assert codes(encode(portrait(bg=bg))) == ["background_not_blue"]


@pytest.mark.parametrize("kw, code", [
    ({"head": (0.15, 0.55)}, "head_height"),    # half-body shot, head far too small
    ({"head": (0.03, 0.97)}, "head_height"),    # extreme close-up
    ({"cx": 0.62}, "off_centre"),
], ids=["small", "huge", "off-centre"])
def test_head_size_and_position(kw, code):
    assert codes(encode(portrait(**kw))) == [code]


def test_head_cut_by_the_top_edge():
    cut = check_photo(encode(portrait(head=(-0.05, 0.62))))
    assert [f.code for f in cut] == ["head_cut"]
    assert cut.measurements["head_height"][2]  # the height alone would pass


def test_empty_background_has_no_face():
    assert codes(encode(Image.new("RGB", (450, 600), BLUE))) == ["no_face"]


def test_exif_rotated():
    assert codes(with_orientation(portrait(), 6)) == ["exif_rotated"]
    assert codes(with_orientation(portrait(), 1)) == []


def test_several_failures_are_all_reported():
    data = encode(portrait(460, 600, bg=(255, 255, 255)), dpi=(72, 72), comment=b"x" * 40000)
    assert sorted(codes(data)) == ["background_not_blue", "dpi_low", "file_too_large", "wrong_size"]


def test_id_document_skips_background_and_head():
    data = encode(document())
    assert codes(data, ID_DOCUMENT) == []
    assert {"wrong_size", "no_face"} <= set(codes(data))


def test_id_document_size_limit_is_50kb():
    pad = ID_DOCUMENT.max_bytes - len(encode(document())) - 4  # COM segment overhead
    exact = encode(document(), comment=b"x" * pad)
    assert len(exact) == ID_DOCUMENT.max_bytes > CANDIDATE_PHOTO.max_bytes
    assert codes(exact, ID_DOCUMENT) == []
    over = encode(document(), comment=b"x" * (pad + 1))
    assert codes(over, ID_DOCUMENT) == ["file_too_large"]


# -- messages ------------------------------------------------------------------

def _assorted_failures():
    return (check_photo(b"nope") + check_photo(b"\xff\xd8\xff\xe0garbage")
            + check_photo(encode(Image.new("L", (300, 300)), dpi=(72, 72), comment=b"x" * 40000)))


def test_messages_render_without_an_app():
    failures = _assorted_failures()
    assert len(failures) >= 5
    for f in failures:
        text = str(f.message)
        assert isinstance(text, str) and text and "%(" not in text
    assert "at least 300 dpi, got 72 dpi" in " ".join(str(f.message) for f in failures)


def test_messages_render_inside_a_babel_app():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    expected = [str(f.message) for f in _assorted_failures()]
    with app.test_request_context():
        assert [str(f.message) for f in _assorted_failures()] == expected


# -- normalise -------------------------------------------------------------------

@pytest.mark.parametrize("size", [(1200, 1600), (3000, 4000), (450, 600), (1600, 1200)],
                         ids=["1200x1600", "3000x4000", "exact", "landscape"])
def test_normalised_sources_pass_every_check(size):
    src = encode(portrait(*size, noise=20 if size[0] <= 1600 else 0), dpi=(72, 72))
    assert codes(src) != []
    assert_clean_output(normalise(src), CANDIDATE_PHOTO)


def test_noisy_source_is_squeezed_under_30kb():
    src = encode(portrait(1200, 1600, noise=60), quality=95)
    assert len(src) > 10 * CANDIDATE_PHOTO.max_bytes
    assert_clean_output(normalise(src), CANDIDATE_PHOTO)


def test_exif_rotated_source_is_turned_upright():
    # Stored sideways with "rotate 90° clockwise to display", as phones do.
    src = with_orientation(portrait(1200, 1600).transpose(Image.Transpose.ROTATE_90), 6)
    assert Image.open(io.BytesIO(src)).size == (1600, 1200)
    assert_clean_output(normalise(src), CANDIDATE_PHOTO)


def test_off_centre_subject_in_landscape_source_is_centred():
    scene = portrait(1600, 1200, head=(0.3, 0.7), cx=0.38)
    centre_crop = scene.resize((450, 600), box=(350, 0, 1250, 1200))
    assert "off_centre" in codes(encode(centre_crop))
    assert_clean_output(normalise(encode(scene)), CANDIDATE_PHOTO)


def test_tall_source_keeps_the_top_of_the_head():
    # A centred 3:4 crop of this would start below the top of the head.
    src = encode(portrait(1200, 2000, head=(0.06, 0.56)))
    assert_clean_output(normalise(src), CANDIDATE_PHOTO)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P"])
def test_png_source_becomes_jpeg(mode):
    src = encode(portrait(900, 1200).convert(mode), "PNG")
    assert Image.open(io.BytesIO(src)).format == "PNG"
    assert_clean_output(normalise(src), CANDIDATE_PHOTO)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_source_becomes_jpeg():
    assert_clean_output(normalise(encode(portrait(900, 1200), "WEBP", quality=90)), CANDIDATE_PHOTO)


def test_transparent_png_is_flattened_onto_white_and_refused():
    im = portrait(900, 1200).convert("RGBA")
    im.putalpha(Image.eval(portrait(900, 1200).convert("L"), lambda v: 0 if v == 128 else 255))
    with pytest.raises(NormaliseError) as e:  # the normaliser never paints a background
        normalise(encode(im, "PNG"))
    assert [f.code for f in e.value.failures] == ["background_not_blue"]
    assert "0%" in str(e.value)  # white, measured beside the head


def test_16_bit_png_keeps_its_tones():
    """A 16-bit greyscale scan of a card: its tones come out as 8 bits (not clipped white)."""
    grey = np.asarray(card_photo(1600, 1200, surface="scanner").convert("L"), dtype=np.uint16)
    source = Image.fromarray((grey * 256).astype(np.int32), "I").convert("I;16")
    out = normalise(encode(source, "PNG"), ID_DOCUMENT)
    picture = Image.open(io.BytesIO(out)).convert("L")
    bed = int(grey[5, 5])  # the scanner bed around the card, and in the output's margin
    assert abs(picture.getpixel((3, 3)) - bed) <= 3 and bed < 250
    assert "greyscale" in codes(out, ID_DOCUMENT)


@pytest.mark.parametrize("size", [(1600, 1200), (2400, 1800), (1200, 1600)],
                         ids=["1600x1200", "2400x1800", "portrait"])
def test_id_document_normalisation(size):
    src = encode(document(*size, noise=25), quality=95)
    assert len(src) > ID_DOCUMENT.max_bytes
    assert_clean_output(normalise(src, ID_DOCUMENT), ID_DOCUMENT)


@pytest.mark.parametrize("spec,size", [
    (CANDIDATE_PHOTO, (400, 500)),
    (CANDIDATE_PHOTO, (500, 560)),    # wide enough, but a 3:4 crop is 420 px wide
    (ID_DOCUMENT, (700, 900)),        # a 4:3 crop of a portrait is only 525 px high
])
def test_small_sources_are_not_upscaled(spec, size):
    with pytest.raises(NormaliseError) as e:
        normalise(encode(portrait(*size)), spec)
    assert e.value.code == "too_small"
    assert f"{spec.width}×{spec.height}" in str(e.value)


def test_source_just_big_enough_after_crop_is_accepted():
    assert_clean_output(normalise(encode(portrait(450, 700, head=(0.15, 0.75)))), CANDIDATE_PHOTO)
    with pytest.raises(NormaliseError):
        normalise(encode(portrait(449, 700, head=(0.15, 0.75))))


def test_unfittable_picture_raises_cannot_fit():
    spec = dataclasses.replace(CANDIDATE_PHOTO, max_bytes=2000)
    with pytest.raises(NormaliseError) as e:
        normalise(encode(portrait(900, 1200, noise=60)), spec)
    assert e.value.code == "cannot_fit"


def test_encode_to_fit_picks_the_highest_fitting_quality():
    im = portrait(noise=60)
    data, quality = encode_to_fit(im, 30 * 1024)
    assert len(data) <= 30 * 1024
    assert 10 <= quality < 95  # otherwise the search was not exercised
    assert len(encode(im, quality=quality)) == len(data)
    assert len(encode(im, quality=quality + 1)) > 30 * 1024


@pytest.mark.parametrize("data,code", [
    (b"hello", "unsupported_format"),
    (encode(portrait(900, 1200), "GIF"), "unsupported_format"),
    (encode(portrait(900, 1200))[:3000], "corrupt"),
    (claim_size(encode(portrait()), 9000, 8000), "too_large_pixels"),
    (claim_size(encode(portrait()), 60000, 60000), "too_large_pixels"),
], ids=["text", "gif", "truncated", "over-limit", "bomb"])
def test_normalise_rejects_bad_sources(data, code):
    with pytest.raises(NormaliseError) as e:
        normalise(data)
    assert e.value.code == code
    assert str(e.value)

