"""Checks of uploaded candidate photos and ID-document images against the notice.

Every function here is pure: bytes in, a list of ``Failure`` out (empty list =
compliant).  Nothing needs a Flask app; messages are lazy strings that render in
the request's locale when an app with Flask-Babel is active and fall back to
the English source text otherwise.

Input is untrusted, so decoding goes through ``open_untrusted`` /
``load_untrusted``: Pillow is limited to the formats we expect, images over
``MAX_PIXELS`` are refused before any pixel is decoded, and any decoder error
becomes a ``corrupt`` failure instead of an exception.

Pixel heuristics run on a JPEG "draft" (the decoder's DCT scaling, 1/8 of the
spec size), which is what keeps a check at well under a millisecond or two.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageChops, ImageFilter, ImageStat

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


CANDIDATE_PHOTO = PhotoSpec(450, 600, 30 * 1024, 300, True, True)
ID_DOCUMENT = PhotoSpec(800, 600, 50 * 1024, 300, False, False)


@dataclass(frozen=True)
class Failure:
    code: str
    message: object  # flask_babel LazyString; str() it where it is shown


class ImageRejected(Exception):
    """Raised by the decoding helpers; carries the Failure to report."""

    def __init__(self, failure: Failure):
        super().__init__(failure.code)
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


def exif_orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block is not worth rejecting the photo for
        return 1


def check_photo(data: bytes, spec: PhotoSpec = CANDIDATE_PHOTO) -> list[Failure]:
    """Return every way ``data`` misses ``spec``; ``[]`` means compliant.

    A file that is not a JPEG, is damaged or is a decompression bomb yields
    exactly one failure: nothing else about it can be trusted.
    """
    if not data.startswith(JPEG_MAGIC):
        return [Failure("not_jpeg", _l("Not a JPEG file"))]
    try:
        im = open_untrusted(data)
    except ImageRejected as e:
        # JPEG magic but Pillow does not recognise it: a broken header.
        return [_corrupt() if e.failure.code == "unsupported_format" else e.failure]

    failures = _header_failures(data, im, spec)
    # Decode at 1/8 of the spec size: plenty for colour and silhouette heuristics.
    im.draft(None, (max(1, spec.width // 8), max(1, spec.height // 8)))
    try:
        load_untrusted(im)
    except ImageRejected as e:
        return [e.failure]
    return failures + _pixel_failures(im, spec)


def _header_failures(data: bytes, im: Image.Image, spec: PhotoSpec) -> list[Failure]:
    out = []
    if im.size != (spec.width, spec.height):
        out.append(Failure("wrong_size", _l(
            "Image must be %(w)d×%(h)d pixels, got %(gw)d×%(gh)d",
            w=spec.width, h=spec.height, gw=im.width, gh=im.height)))
    dpi = im.info.get("dpi")  # from JFIF density, or EXIF X/YResolution when JFIF has none
    if not dpi:
        out.append(Failure("dpi_missing", _l(
            "The file does not record its resolution; at least %(min)d dpi is required",
            min=spec.min_dpi)))
    elif round(min(dpi)) < spec.min_dpi:  # EXIF rationals give e.g. 299.9997
        out.append(Failure("dpi_low", _l(
            "Resolution must be at least %(min)d dpi, got %(got)d dpi",
            min=spec.min_dpi, got=round(min(dpi)))))
    if len(data) > spec.max_bytes:
        out.append(Failure("file_too_large", _l(
            "File must be at most %(max)d KB, got %(got)d KB",
            max=spec.max_bytes // 1024, got=-(-len(data) // 1024))))
    if exif_orientation(im) != 1:
        out.append(Failure("exif_rotated", _l(
            "The image is stored rotated (EXIF orientation); save it upright")))
    return out


def _pixel_failures(im: Image.Image, spec: PhotoSpec) -> list[Failure]:
    out = []
    rgb = im.convert("RGB") if im.mode != "RGB" else im  # L (greyscale JPEG) stays grey
    # Wrong-size uploads (e.g. a 4000 px original) still arrive big after draft.
    factor = min(rgb.width // max(1, spec.width // 8), rgb.height // max(1, spec.height // 8))
    if factor > 1:
        rgb = rgb.reduce(factor)
    if is_greyscale(rgb):
        out.append(Failure("greyscale", _l("The image must be in colour, not black and white")))
    if spec.check_background and not background_is_blue(rgb):
        out.append(Failure("background_not_blue", _l("The background must be plain blue")))
    if spec.check_face and not head_plausible(find_head(rgb)):
        out.append(Failure("head_implausible", _l(
            "The head must be centred and fill about two thirds of the photo height")))
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


# Pillow's HSV uses 0..255 for hue: 190°..250° -> 134..177.
_HUE_LUT = [255 if 134 <= v <= 177 else 0 for v in range(256)]
_SAT_LUT = [255 if v >= 64 else 0 for v in range(256)]  # saturation >= 25%
_VAL_LUT = [255 if v >= 64 else 0 for v in range(256)]  # not near-black navy/shadow
BORDER = 0.04         # band width as a fraction of the image side
SIDE_DEPTH = 0.6      # side bands stop here: shoulders may touch the lower sides
MIN_BLUE_SHARE = 0.85  # stray hair or a shadow in the band is tolerated


def blue_mask(rgb: Image.Image) -> Image.Image:
    h, s, v = rgb.convert("HSV").split()
    return ImageChops.multiply(
        ImageChops.multiply(h.point(_HUE_LUT), s.point(_SAT_LUT)), v.point(_VAL_LUT)
    )


def _border_boxes(w: int, h: int) -> list[tuple[int, int, int, int]]:
    bw, bh = max(1, round(w * BORDER)), max(1, round(h * BORDER))
    side_bottom = max(bh + 1, round(h * SIDE_DEPTH))
    return [(0, 0, w, bh), (0, bh, bw, side_bottom), (w - bw, bh, w, side_bottom)]


def background_is_blue(rgb: Image.Image) -> bool:
    """Heuristic: is the border of the picture mostly blue?

    Samples a band of the outer 4% along the top and along both sides (upper
    60% only, since shoulders legitimately reach the lower sides).  A pixel is
    "blue" when its HSV hue is 190°-250° (sky/ID-photo blue, not cyan or
    violet), saturation >= 25% and value >= 25%.  At least 85% of the band must
    be blue.  It does not judge uniformity, shadows or the exact shade
    demanded by a given notice; a blue wall with pictures in the middle passes.
    """
    mask = blue_mask(rgb)
    blue = total = 0
    for box in _border_boxes(*rgb.size):
        blue += mask.crop(box).histogram()[255]
        total += (box[2] - box[0]) * (box[3] - box[1])
    return total > 0 and blue >= MIN_BLUE_SHARE * total


# -- subject / head --------------------------------------------------------

SUBJECT_DIFF = 60  # channel difference from the background colour that counts as "subject"
NECK_RATIO = 0.8   # a real neck is ~0.6-0.7 of the head width; hair edges wobble by ~10%


@dataclass(frozen=True)
class Head:
    top: float              # fractions of the image height / width
    chin: float | None      # None: no neck narrowing found, height unknown
    centre_x: float


def find_head(rgb: Image.Image) -> Head | None:
    """Locate the head from the silhouette; this is not face recognition.

    The background colour is the median of the top border band; pixels that
    differ from it by more than SUBJECT_DIFF in any channel are "subject"
    (eroded once to drop JPEG speckle).  Row by row we take the silhouette's
    left/right extent.  The head top (hair included) is the first row with any
    subject; going down, the silhouette widens to the head's widest row,
    narrows at the neck (below NECK_RATIO of that width) and widens again at
    the shoulders.  The chin is the first row below the widest one whose width
    is within 10% of the head-to-neck difference from the narrowest neck row;
    on an oval head that lands a little above the real chin, so the height
    reads ~10% low.  The centre is the mean midpoint of the head rows.

    It catches: no subject at all, a head far off-centre, a head cut by the top
    edge, a head much too small or too large (half-body shot, extreme close-up).
    It does NOT know whether there is a face at all, whether it looks at the
    camera, closed eyes, glasses, hats, a tilted head or two people.  Long hair
    hiding the neck leaves the height unknown (chin=None): only centring and
    the top edge are judged then.  On a busy background the silhouette is
    meaningless (the background check reports those).
    """
    w, h = rgb.size
    if w < 8 or h < 8:
        return None
    ref = tuple(int(c) for c in ImageStat.Stat(rgb.crop(_border_boxes(w, h)[0])).median)
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, ref)).split()
    spread = ImageChops.lighter(ImageChops.lighter(diff[0], diff[1]), diff[2])
    mask = spread.point([255 if v > SUBJECT_DIFF else 0 for v in range(256)])
    mask = mask.filter(ImageFilter.MinFilter(3)).tobytes()

    extents = []
    for y in range(h):
        row = mask[y * w:(y + 1) * w]
        left = row.find(255)
        extents.append(None if left < 0 else (left, row.rfind(255)))
    widths = [0 if e is None else e[1] - e[0] + 1 for e in extents]
    top = next((y for y, wd in enumerate(widths) if wd > 0), None)
    if top is None:
        return None

    peak, narrowing = top, None
    for y in range(top, h):
        if widths[y] >= widths[peak]:
            peak = y
        elif widths[y] < NECK_RATIO * widths[peak] and widths[peak] >= 0.15 * w:
            narrowing = y
            break
    chin = None
    if narrowing is not None:
        end = next((y for y in range(narrowing, h) if widths[y] >= widths[peak]), h)
        neck = min(widths[narrowing:end])
        limit = neck + 0.1 * (widths[peak] - neck)
        chin = next(y for y in range(peak, end) if widths[y] <= limit)
    head_rows = [e for e in extents[top:h if chin is None else chin] if e is not None]
    centre = sum(left + right for left, right in head_rows) / (2 * len(head_rows))
    return Head(top / h, None if chin is None else chin / h, (centre + 0.5) / w)


HEAD_HEIGHT = (0.5, 0.8)  # of the image height; notices ask for "about 2/3"
MAX_OFF_CENTRE = 0.1      # of the image width


def head_plausible(head: Head | None) -> bool:
    # top == 0: the silhouette touches the upper edge, i.e. the head is cut off
    if head is None or head.top == 0 or abs(head.centre_x - 0.5) > MAX_OFF_CENTRE:
        return False
    if head.chin is None:
        return True
    return HEAD_HEIGHT[0] <= head.chin - head.top <= HEAD_HEIGHT[1]
