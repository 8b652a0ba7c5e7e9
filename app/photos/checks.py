"""Checks of uploaded candidate photos and ID-document images against the notice.

Every function here is pure: bytes in, a list of ``Failure`` out (empty list =
compliant).  Nothing needs a Flask app; messages are lazy strings that render in
the request's locale when an app with Flask-Babel is active and fall back to
the English source text otherwise.

Input is untrusted, so decoding goes through ``open_untrusted`` /
``load_untrusted``: Pillow is limited to the formats we expect, images over
``MAX_PIXELS`` are refused before any pixel is decoded, and any decoder error
becomes a ``corrupt`` failure instead of an exception.

A candidate photo's scene is measured with a real face detector (``face`` and
``measure``) and judged by the rules in ``rules.RULES``: every failure names the measured
value, the required range and a fix, and all of them are reported at once. ``check_photo``
returns a ``PhotoReport``: the list of failures (empty = compliant), with the measurements
and the warnings (a suspected rescan) alongside. An ID document gets the file checks and the
card rules (``rules.CARD_RULES``, measured by ``card.measure_card``): exactly one document,
whole, level, big enough, centred and sharp.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageChops

from ..refusals import BadInput
from .card import measure_card
from .measure import Measurements, measure_portrait
from .rules import CARD_RULES, RULES, Failure, judge

# 8000x6000 (48 MP phone sensors) still fits; a header claiming more is treated
# as a decompression bomb.  PNG sources are decoded at full size, so this also
# bounds worst-case memory (~150 MB as RGB).
MAX_PIXELS = 50_000_000

JPEG_MAGIC = b"\xff\xd8\xff"
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class PhotoSpec:
    width: int
    height: int
    max_bytes: int
    min_dpi: int
    check_background: bool
    check_face: bool
    check_card: bool = False


CANDIDATE_PHOTO = PhotoSpec(450, 600, 30 * 1024, 300, True, True)
ID_DOCUMENT = PhotoSpec(800, 600, 50 * 1024, 300, False, False, True)
#: The card is searched in a decode of about this long side (DCT-scaled: 1/2 of 800×600).
CARD_DECODE_SIDE = 400


class PhotoReport(list):
    """The failures (a list, so ``if check_photo(...)`` and ``== []`` work as before), plus
    ``measurements`` (rule code -> (shown value, required range, ok)) and ``warnings``."""

    def __init__(self, failures=(), measurements=None, warnings=()):
        super().__init__(failures)
        self.measurements = measurements or {}
        self.warnings = list(warnings)


class ImageRejected(BadInput):
    """Raised by the decoding helpers; carries the Failure to report."""

    def __init__(self, failure: Failure):
        super().__init__(failure.message)
        self.failure = failure


def _corrupt() -> Failure:
    return Failure("corrupt", _l("The image file is damaged or incomplete"))


def _too_large() -> Failure:
    return Failure(
        "too_large_pixels",
        _l("The image is too large to process (more than %(max)d pixels)", max=MAX_PIXELS),
    )


def open_untrusted(data: bytes, formats=("JPEG",)) -> Image.Image:
    """Open (not decode) untrusted bytes, refusing bombs before any pixel is read.

    Raises ImageRejected with code ``unsupported_format``, ``corrupt`` or
    ``too_large_pixels``.  ``formats=("JPEG",)`` also admits MPO (multi-picture
    JPEG from phone cameras), which Pillow routes through its JPEG opener.
    """
    try:
        im = Image.open(io.BytesIO(data), formats=list(formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The Warning only arrives as an exception when warnings are errors.
        raise ImageRejected(_too_large()) from None
    except Image.UnidentifiedImageError:
        raise ImageRejected(
            Failure("unsupported_format", _l("Unsupported image format; upload a JPEG or PNG file"))
        ) from None
    except Exception:  # malformed headers raise a zoo of types (SyntaxError, struct.error, ...)
        raise ImageRejected(_corrupt()) from None
    if im.width * im.height > MAX_PIXELS:
        raise ImageRejected(_too_large())
    return im


def load_untrusted(im: Image.Image) -> None:
    """Decode pixels; every decoder error becomes ``corrupt`` (truncation included)."""
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_too_large()) from None
    except Exception:
        raise ImageRejected(_corrupt()) from None


def has_end_marker(data: bytes) -> bool:
    """Whether the last scan is followed by its EOI marker (FF D9). Pillow decodes a file cut
    just before EOI without complaint, depending on the picture; a cut upload must still be
    refused. Entropy-coded data cannot hold FF DA or FF D9 (0xFF is stuffed), and data a
    camera appends after EOI (MPO images, maker trailers) comes after the last scan's EOI."""
    scan = data.rfind(b"\xff\xda")
    return scan != -1 and data.find(b"\xff\xd9", scan) != -1


def exif_orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block is not worth rejecting the photo for
        return 1


def check_photo(data: bytes, spec: PhotoSpec = CANDIDATE_PHOTO) -> PhotoReport:
    """Return every way ``data`` misses ``spec``; an empty report means compliant.

    A file that is not a JPEG, is damaged or is a decompression bomb yields
    exactly one failure: nothing else about it can be trusted.
    """
    if not data.startswith(JPEG_MAGIC):
        return PhotoReport([Failure("not_jpeg", _l("Not a JPEG file"))])
    try:
        im = open_untrusted(data)
    except ImageRejected as e:
        # JPEG magic but Pillow does not recognise it: a broken header.
        return PhotoReport([_corrupt() if e.failure.code == "unsupported_format" else e.failure])
    if not has_end_marker(data):
        return PhotoReport([_corrupt()])

    failures, files = _header_failures(data, im, spec), file_measurements(data, im, spec)
    # Portraits are measured at the spec size (a bigger upload is DCT-scaled down on
    # decoding); the card finder works at CARD_DECODE_SIDE.
    size = _card_size(spec) if spec.check_card else (spec.width, spec.height)
    im.draft("RGB" if im.mode == "RGB" else None, size)
    try:
        load_untrusted(im)
    except ImageRejected as e:
        return PhotoReport([e.failure])
    rgb = im.convert("RGB") if im.mode != "RGB" else im  # L (greyscale JPEG) stays grey
    if is_greyscale(_small(rgb, spec)):
        failures.append(Failure("greyscale",
                                _l("The image must be in colour, not black and white")))
    report = card_report(rgb, failures) if spec.check_card else scene_report(rgb, failures)
    report.measurements = {**files, **report.measurements}
    return report


def scene_report(rgb: Image.Image, failures=()) -> PhotoReport:
    """Measure and judge the portrait in ``rgb``; ``failures`` (file rules) come first."""
    m = measure_portrait(np.asarray(rgb))
    refusals, warnings = judge(m.values)
    return PhotoReport([*failures, *refusals], measurements_shown(m), warnings)


def card_report(rgb: Image.Image, failures=()) -> PhotoReport:
    """Find and judge the document in ``rgb``; ``failures`` (file rules) come first."""
    values, _cards = measure_card(np.asarray(rgb))
    refusals, warnings = judge(values, CARD_RULES)
    return PhotoReport([*failures, *refusals], shown_values(values, CARD_RULES), warnings)


def _card_size(spec: PhotoSpec) -> tuple[int, int]:
    factor = max(spec.width, spec.height) / CARD_DECODE_SIDE
    return round(spec.width / factor), round(spec.height / factor)


def measurements_shown(m: Measurements) -> dict[str, tuple[str, str, bool]]:
    """rule code -> (value, required range, ok) as text, for pages and the JSON answer."""
    return shown_values(m.values, RULES)


def shown_values(values: dict[str, float], table) -> dict[str, tuple[str, str, bool]]:
    """The measured ``values`` of the rules in ``table`` as (value, required range, ok)."""
    return {code: (rule.shown(values[code]), rule.required(), bool(rule.ok(values[code])))
            for code, rule in table.items() if code in values}


def _small(rgb: Image.Image, spec: PhotoSpec) -> Image.Image:
    """About 1/8 of the spec size: enough to tell colour from black and white."""
    factor = min(rgb.width // max(1, spec.width // 8), rgb.height // max(1, spec.height // 8))
    return rgb.reduce(factor) if factor > 1 else rgb


def file_measurements(data: bytes, im: Image.Image, spec: PhotoSpec) -> dict:
    """The file's own properties, shown like the scene's: code -> (value, required, ok)."""
    dpi = im.info.get("dpi")
    got_dpi = round(min(dpi)) if dpi else None  # EXIF rationals give e.g. 299.9997
    kb = -(-len(data) // 1024)
    return {
        "wrong_size": (f"{im.width}×{im.height}", f"{spec.width}×{spec.height}",
                       im.size == (spec.width, spec.height)),
        "dpi_low": ("—" if got_dpi is None else f"{got_dpi} dpi", f"≥ {spec.min_dpi} dpi",
                    got_dpi is not None and got_dpi >= spec.min_dpi),
        "file_too_large": (f"{kb} KB", f"≤ {spec.max_bytes // 1024} KB",
                           len(data) <= spec.max_bytes),
        "exif_rotated": (str(exif_orientation(im)), "1", exif_orientation(im) == 1),
    }


def _header_failures(data: bytes, im: Image.Image, spec: PhotoSpec) -> list[Failure]:
    shown = file_measurements(data, im, spec)
    out = []
    if im.size != (spec.width, spec.height):
        out.append(Failure("wrong_size", _l(
            "Image must be %(w)d×%(h)d pixels, got %(gw)d×%(gh)d",
            w=spec.width, h=spec.height, gw=im.width, gh=im.height),
            *shown["wrong_size"][:2],
            _l("Let the system crop and scale it (upload the original).")))
    dpi = im.info.get("dpi")  # from JFIF density, or EXIF X/YResolution when JFIF has none
    hint = _l("Save the file with a resolution of 300 dpi.")
    if not dpi:
        out.append(Failure("dpi_missing", _l(
            "The file does not record its resolution; at least %(min)d dpi is required",
            min=spec.min_dpi), *shown["dpi_low"][:2], hint))
    elif round(min(dpi)) < spec.min_dpi:
        out.append(Failure("dpi_low", _l(
            "Resolution must be at least %(min)d dpi, got %(got)d dpi",
            min=spec.min_dpi, got=round(min(dpi))), *shown["dpi_low"][:2], hint))
    if len(data) > spec.max_bytes:
        out.append(Failure("file_too_large", _l(
            "File must be at most %(max)d KB, got %(got)d KB",
            max=spec.max_bytes // 1024, got=-(-len(data) // 1024)),
            *shown["file_too_large"][:2], _l("Save with stronger JPEG compression.")))
    if exif_orientation(im) != 1:
        out.append(Failure("exif_rotated", _l(
            "The image is stored rotated (EXIF orientation); save it upright"),
            *shown["exif_rotated"][:2], _l("Save the picture upright.")))
    return out


# -- colour ----------------------------------------------------------------

GREY_SPREAD = 12  # max-min channel difference still counted as "grey" (JPEG chroma noise)


def is_greyscale(rgb: Image.Image) -> bool:
    """True when fewer than 1% of pixels have any visible colour.

    A black-and-white picture saved as RGB has max(R,G,B)-min(R,G,B) of a few
    units everywhere; any real colour photo has skin and background far above
    GREY_SPREAD.
    """
    r, g, b = rgb.split()
    spread = ImageChops.subtract(
        ImageChops.lighter(ImageChops.lighter(r, g), b),
        ImageChops.darker(ImageChops.darker(r, g), b),
    )
    coloured = sum(spread.histogram()[GREY_SPREAD + 1:])
    return coloured < 0.01 * rgb.width * rgb.height
