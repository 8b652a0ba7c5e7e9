"""Turn a source picture into a file that meets a PhotoSpec, and say what was done.

``normalise`` fixes what is a property of the *file* (format, pixel size, aspect, dpi, byte
size, EXIF rotation, colour mode) and, for a candidate photo, the *framing*: it finds the one
frontal face, crops around it so the head (crown to chin) is 2/3 of the height and the face
is centred, and scales to 450×600. What a crop cannot fix it refuses, naming every reason
with its measured value: no face, several faces, a background that is not plain blue, a
tilted or turned head, closed eyes, bad light or blur. It never paints a background.

For an ID document it finds the one document (``card``), turns the picture so the document is
level, and crops it centred with a margin of ``CARD_MARGIN`` to 800×600. Where that 4:3 frame
reaches beyond the picture's edge, the margin there is filled with the colour of the surface
the document lies on (the median of the picture's border): the document itself is never
painted over. It refuses no document, several, a document cut by the edge, a blurred one,
and one with too few pixels for 800×600.

Accepted sources: JPEG (incl. MPO), PNG and WebP; transparency is flattened onto white (and
then refused as not blue for a candidate photo). HEIC needs a Pillow plugin and is refused as
unsupported. The output carries no EXIF (orientation, GPS, camera data) and no ICC profile.
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from .card import measure_card, surface_colour
from .checks import (
    CANDIDATE_PHOTO,
    ImageRejected,
    PhotoSpec,
    exif_orientation,
    is_greyscale,
    load_untrusted,
    card_report,
    open_untrusted,
    scene_report,
)
from ..refusals import BadInput
from .measure import locate_head
from .rules import (
    CARD_RULES,
    FIXED_BY_CROPPING,
    FIXED_BY_LEVELLING,
    HEAD_SHARE_TARGET,
    RULES,
    Failure,
    failure,
    judge,
)

Image.init()
# WebP only when this Pillow build can decode it; an unknown name would raise KeyError.
SOURCE_FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP") if f in Image.OPEN)
OUTPUT_DPI = 300
QUALITY_RANGE = (10, 95)  # above 95 libjpeg only grows the file, not the fidelity
DETECT_MIN_SIDE = 360     # the face is searched in a decode at least this big (short side)
SOURCE_MIN_FACE = 0.08    # a half-body phone picture: the face box may be this small ...
FACE_BOX_PER_HEAD = 0.65  # ... but no smaller than a third of what a spec-size head needs
                          # (face box ≈ 0.65 of crown-to-chin): smaller ones could never fit
COMFORTABLE_HEAD = 0.6   # the smallest head share the normaliser settles for to avoid upscaling
ABOVE_CROWN = 0.3         # share of the space left beside the head that goes above the crown
CARD_MARGIN = 0.04        # margin kept around a document, share of its longer side


class _Joined:
    """Several lazy messages shown as one, in the request's language."""

    def __init__(self, parts):
        self.parts = list(parts)

    def __str__(self):
        return str(_l("; ")).join(str(p) for p in self.parts)


class NormaliseError(BadInput):
    """``code``/``message``: the first reason (or all, joined); ``failures``: every reason,
    with values."""

    def __init__(self, code: str, message, failures=None):
        super().__init__(message)  # lazy string
        self.code = code
        self.failures = failures or [Failure(code, message)]

    @classmethod
    def of(cls, failures):
        return cls(failures[0].code, failures[0].message if len(failures) == 1
                   else _Joined(f.message for f in failures), failures)


class NormalisedPhoto(bytes):
    """The output JPEG; ``steps`` says what was done (lazy strings), ``report`` is the
    output's PhotoReport (measurements) for a candidate photo, else None."""

    steps: list
    report: object = None


def normalise(data: bytes, spec: PhotoSpec = CANDIDATE_PHOTO) -> NormalisedPhoto:
    """Return JPEG bytes of exactly spec.width x spec.height at 300 dpi within spec.max_bytes.

    Raises NormaliseError with code ``unsupported_format``, ``corrupt``,
    ``too_large_pixels``, ``too_small`` (never upscale), ``cannot_fit`` or, for a candidate
    photo, the code of the first rule a crop cannot fix (all of them in ``failures``).
    """
    steps = []
    try:
        im = open_untrusted(data, SOURCE_FORMATS)
        orientation = exif_orientation(im)
        upright = im.size[::-1] if orientation in (5, 6, 7, 8) else im.size
        _refuse_too_small(upright, _aspect_box(*upright, spec), spec)
        if orientation != 1:
            steps.append(_l("Turned upright (EXIF orientation %(o)d)", o=orientation))
        if spec.check_card:
            out = _card_crop(data, im, upright, spec, steps)
        else:
            out = _framed(*_face_crop(data, im, upright, spec), upright, spec, steps)
    except ImageRejected as e:
        raise NormaliseError(e.failure.code, e.failure.message) from None
    report = card_report(out) if spec.check_card else _refuse_unfixable(out)
    encoded, quality = encode_to_fit(out, spec.max_bytes)
    steps.append(_l("Saved as JPEG at %(dpi)d dpi, quality %(q)d: %(kb)d KB",
                    dpi=OUTPUT_DPI, q=quality, kb=-(-len(encoded) // 1024)))
    result = NormalisedPhoto(encoded)
    result.steps, result.report = steps, report
    return result


def _framed(src, box, upright, spec, steps):
    """``box`` of ``src`` scaled to the spec; the step names it in the source's pixels."""
    out = src.resize((spec.width, spec.height), Image.Resampling.LANCZOS, box=box)
    x0, y0, x1, y1 = (round(v * upright[0] / src.width) for v in box)
    steps.append(_l("Cropped %(w)d×%(h)d pixels at (%(x)d, %(y)d) and scaled to %(tw)d×%(th)d",
                    w=x1 - x0, h=y1 - y0, x=x0, y=y0, tw=spec.width, th=spec.height))
    return out


def _card_crop(data, im, upright, spec, steps):
    """The one document levelled, centred and cropped with its margin to the spec, or
    NormaliseError naming what levelling and cropping cannot fix."""
    detect_scale = next(s for s in (8, 4, 2, 1) if min(upright) // s >= DETECT_MIN_SIDE or s == 1)
    decoded = _decode(im, detect_scale)
    values, cards = measure_card(np.asarray(decoded))
    refusals, _warnings = judge(values, CARD_RULES)
    unfixable = [f for f in refusals if f.code not in FIXED_BY_LEVELLING]
    if unfixable:
        raise NormaliseError.of(unfixable)
    card = cards[0].scaled(upright[0] / decoded.width)  # in the upright picture's pixels
    margin = CARD_MARGIN * max(card.size)
    bw, bh = card.size[0] + 2 * margin, card.size[1] + 2 * margin
    bw, bh = max(bw, bh * spec.width / spec.height), max(bh, bw * spec.height / spec.width)
    if bw < spec.width or bh < spec.height:  # never upscale
        raise NormaliseError.of([*refusals, Failure("too_small", _l(
            "The document is too small in this picture for a %(w)d×%(h)d image: with its "
            "margin it is only %(cw)d×%(ch)d pixels. Photograph it closer or with more pixels.",
            w=spec.width, h=spec.height, cw=bw, ch=bh))])
    steps.append(_l("Found the document: tilted %(tilt)s, %(share)s of the picture",
                    tilt=CARD_RULES["card_tilted"].shown(card.tilt),
                    share=CARD_RULES["card_small"].shown(values["card_small"])))
    scale = _scale_for((bw, bh), spec)
    src = decoded if upright[0] / decoded.width <= scale else \
        _decode(open_untrusted(data, SOURCE_FORMATS), scale)
    back = src.width / upright[0]
    levelled, padded = _level_crop(np.asarray(src), card.scaled(back), bw * back, bh * back)
    if abs(card.tilt) >= 0.1:
        steps.append(_l("Turned the picture by %(angle)s to level the document",
                        angle=CARD_RULES["card_tilted"].shown(card.tilt)))
    steps.append(_l("Cropped %(w)d×%(h)d pixels around the document (margin %(m)d pixels) "
                    "and scaled to %(tw)d×%(th)d", w=bw, h=bh, m=margin,
                    tw=spec.width, th=spec.height))
    if padded:
        steps.append(_l("The margin reached beyond the picture's edge: filled it with the "
                        "colour of the surface around the document (the document itself is "
                        "untouched)"))
    return Image.fromarray(levelled).resize((spec.width, spec.height), Image.Resampling.LANCZOS)


def _level_crop(rgb, card, bw, bh):
    """``(pixels, padded)``: the bw×bh box centred on ``card``, turned level; ``padded`` when
    part of the box lies beyond the picture (filled with the surface's colour)."""
    size = (max(1, round(bw)), max(1, round(bh)))
    surface = tuple(float(v) for v in surface_colour(rgb))
    matrix = cv2.getRotationMatrix2D(card.centre, -card.tilt, 1.0)
    matrix[:, 2] += (size[0] / 2 - card.centre[0], size[1] / 2 - card.centre[1])
    out = cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=surface)
    back = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [size[0], 0, 1], [0, size[1], 1], [size[0], size[1], 1]],
                       np.float64) @ back.T
    h, w = rgb.shape[:2]
    padded = bool((corners < -0.5).any() or (corners[:, 0] > w + 0.5).any()
                  or (corners[:, 1] > h + 0.5).any())
    return out, padded


def _refuse_too_small(upright, crop, spec):
    if crop[0] < spec.width or crop[1] < spec.height:
        raise NormaliseError("too_small", _l(
            "The picture is too small: it needs at least %(w)d×%(h)d pixels "
            "in a %(w)d:%(h)d frame, got %(gw)d×%(gh)d",
            w=spec.width, h=spec.height, gw=upright[0], gh=upright[1]))


def _scale_for(crop, spec) -> int:
    """Largest JPEG DCT scale (1/8, 1/4, 1/2) that still leaves ``crop`` at least spec size."""
    return next(s for s in (8, 4, 2, 1)
                if crop[0] // s >= spec.width and crop[1] // s >= spec.height)


def _decode(im: Image.Image, scale: int) -> Image.Image:
    """Decode (DCT-scaled by 1/scale for a JPEG), turn upright, make RGB."""
    if scale > 1:
        im.draft("RGB", (im.width // scale, im.height // scale))
    load_untrusted(im)
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # unreadable EXIF: keep the pixels as stored
        pass
    return _to_rgb(im)


def _face_crop(data, im, upright, spec):
    """``(picture, crop box)`` framing the one face to the spec, or NormaliseError."""
    detect_scale = next(s for s in (8, 4, 2, 1) if min(upright) // s >= DETECT_MIN_SIDE or s == 1)
    decoded = _decode(im, detect_scale)  # DCT-scaled for a JPEG, full size otherwise
    reduce = max(1, min(decoded.size) // DETECT_MIN_SIDE)
    small = decoded.reduce(reduce) if reduce > 1 else decoded
    rgb = np.asarray(small)
    needed = FACE_BOX_PER_HEAD / 3 * HEAD_SHARE_TARGET * spec.height / upright[1]
    m = locate_head(rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), max(SOURCE_MIN_FACE, needed))
    if len(m.faces) != 1:
        grey = [_greyscale()] if is_greyscale(small) else []
        code = "no_face" if not m.faces else "several_faces"
        raise NormaliseError.of(grey + [failure(RULES[code], len(m.faces))])
    factor = upright[0] / small.width  # search picture -> full-size pixels
    box = [v * factor for v in _portrait_box(small.size, m, spec, spec.height / factor)]
    crop = (box[2] - box[0] + 0.5, box[3] - box[1] + 0.5)
    if crop[0] < spec.width or crop[1] < spec.height:  # never upscale
        # Say everything that is wrong with the picture as it is, then why we cannot crop it.
        raise NormaliseError.of([*scene_report(small), Failure("too_small", _l(
            "The face is too small in this picture for a %(w)d×%(h)d photo: framed to the "
            "rules it is only %(cw)d×%(ch)d pixels. Take the photo closer or with more pixels.",
            w=spec.width, h=spec.height, cw=crop[0], ch=crop[1]))])
    scale = _scale_for(crop, spec)
    src = decoded if upright[0] / decoded.width <= scale else \
        _decode(open_untrusted(data, SOURCE_FORMATS), scale)
    back = src.width / upright[0]
    return src, tuple(v * back for v in box)


def _portrait_box(size, m, spec, spec_height):
    """Crop with the head at HEAD_SHARE_TARGET of the height, face centred; tighter when the
    picture is too small for that, refused when even that leaves the head too big, or the
    face off-centre against the picture's edge. ``spec_height``: the spec's height in the
    search picture's pixels."""
    w, h = size
    head = m.chin - m.crown
    largest = min(h, w * spec.height / spec.width)
    ch = head / HEAD_SHARE_TARGET
    if ch < spec_height <= largest and head / spec_height >= COMFORTABLE_HEAD:
        ch = spec_height  # a little more room around the head beats upscaling
    ch = min(ch, largest)
    cw = ch * spec.width / spec.height
    rule = RULES["head_height"]
    if not rule.ok(head / ch):
        raise NormaliseError.of([failure(rule, head / ch)])
    cx = m.faces[0].centre[0]
    x0 = min(max(0.0, cx - cw / 2), w - cw)
    y0 = min(max(0.0, m.crown - ABOVE_CROWN * (ch - head)), h - ch)
    if not RULES["off_centre"].ok((cx - x0 - cw / 2) / cw):
        raise NormaliseError.of([failure(RULES["off_centre"], (cx - x0 - cw / 2) / cw)])
    return x0, y0, x0 + cw, y0 + ch


def _refuse_unfixable(out: Image.Image):
    """The output's report; NormaliseError with every failure a crop cannot fix."""
    report = scene_report(out)
    grey = [_greyscale()] if is_greyscale(out.reduce(8)) else []
    unfixable = grey + [f for f in report if f.code not in FIXED_BY_CROPPING]
    if unfixable:
        raise NormaliseError.of(unfixable)
    return report


def _greyscale():
    return Failure("greyscale", _l("The image must be in colour, not black and white"))


def _aspect_box(w: int, h: int, spec: PhotoSpec) -> tuple[int, int]:
    """Largest box with the spec's aspect ratio that fits in w x h."""
    if w * spec.height > h * spec.width:
        return h * spec.width // spec.height, h
    return w, w * spec.height // spec.width


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: scale to 8 bits first, Pillow would clip it.
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB") if im.mode != "RGB" else im


def _encode(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, dpi=(OUTPUT_DPI, OUTPUT_DPI))
    return buf.getvalue()


def encode_to_fit(im: Image.Image, max_bytes: int) -> tuple[bytes, int]:
    """Encode at the highest quality in QUALITY_RANGE whose file fits max_bytes.

    File size grows monotonically with quality in practice, so a binary search
    needs ~7 encodes; the top quality is tried first because small, flat
    pictures usually fit straight away.
    """
    lo, hi = QUALITY_RANGE
    best = _encode(im, hi)
    if len(best) <= max_bytes:
        return best, hi
    best, best_q, hi = None, None, hi - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        data = _encode(im, mid)
        if len(data) <= max_bytes:
            best, best_q, lo = data, mid, mid + 1
        else:
            hi = mid - 1
    if best is None:
        raise NormaliseError("cannot_fit", _l(
            "The picture cannot be compressed to %(max)d KB; use a plainer picture",
            max=max_bytes // 1024))
    return best, best_q
