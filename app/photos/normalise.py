"""Turn an acceptable source picture into a file that meets a PhotoSpec.

``normalise`` fixes everything that is a property of the *file* (format, pixel
size, aspect, dpi, byte size, EXIF rotation, colour mode).  It cannot fix the
*scene*: a white background or a badly framed head still fail check_photo.

Accepted sources: JPEG (incl. MPO), PNG and WebP; transparency is flattened
onto white.  HEIC needs a Pillow plugin and is refused as unsupported.  The
output carries no EXIF (orientation, GPS, camera data) and no ICC profile.
"""
from __future__ import annotations

import io

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from .checks import (
    CANDIDATE_PHOTO,
    ImageRejected,
    PhotoSpec,
    exif_orientation,
    find_head,
    load_untrusted,
    open_untrusted,
)

Image.init()
# WebP only when this Pillow build can decode it; an unknown name would raise KeyError.
SOURCE_FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP") if f in Image.OPEN)
OUTPUT_DPI = 300
QUALITY_RANGE = (10, 95)  # above 95 libjpeg only grows the file, not the fidelity
HEAD_MARGIN = 0.04        # headroom kept above the head when the crop must move up


class NormaliseError(Exception):
    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message  # lazy string

    def __str__(self):
        return str(self.message)


def normalise(data: bytes, spec: PhotoSpec = CANDIDATE_PHOTO) -> bytes:
    """Return JPEG bytes of exactly spec.width x spec.height at 300 dpi within spec.max_bytes.

    Raises NormaliseError with code ``unsupported_format``, ``corrupt``,
    ``too_large_pixels``, ``too_small`` (never upscale) or ``cannot_fit``.
    """
    try:
        im = open_untrusted(data, SOURCE_FORMATS)
        upright = im.size[::-1] if exif_orientation(im) in (5, 6, 7, 8) else im.size
        crop_w, crop_h = _aspect_box(*upright, spec)
        if crop_w < spec.width or crop_h < spec.height:
            raise NormaliseError("too_small", _l(
                "The picture is too small: it needs at least %(w)d×%(h)d pixels "
                "in a %(w)d:%(h)d frame, got %(gw)d×%(gh)d",
                w=spec.width, h=spec.height, gw=upright[0], gh=upright[1]))
        # JPEG can decode at 1/2, 1/4, 1/8 for a fraction of the cost; pick the
        # largest scale that still leaves the crop at least the target size.
        scale = next(s for s in (8, 4, 2, 1)
                     if crop_w // s >= spec.width and crop_h // s >= spec.height)
        if scale > 1:
            im.draft(None, (im.width // scale, im.height // scale))
        load_untrusted(im)
    except ImageRejected as e:
        raise NormaliseError(e.failure.code, e.failure.message) from None

    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # unreadable EXIF: keep the pixels as stored
        pass
    im = _to_rgb(im)
    box = _crop_box(im, spec)
    out = im.resize((spec.width, spec.height), Image.Resampling.LANCZOS, box=box)
    data, _quality = encode_to_fit(out, spec.max_bytes)
    return data


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


def _crop_box(im: Image.Image, spec: PhotoSpec) -> tuple[int, int, int, int]:
    """Spec-aspect crop, centred on the subject when we can find one."""
    w, h = im.size
    cw, ch = _aspect_box(w, h, spec)
    cx, y0 = w / 2, (h - ch) / 2
    if spec.check_face and (cw < w or ch < h):
        head = find_head(im.reduce(max(1, min(w // 100, h // 100))))
        if head is not None:
            cx = head.centre_x * w
            # a tall source cropped around the middle could behead the subject
            y0 = min(y0, max(0.0, head.top * h - HEAD_MARGIN * ch))
    x0 = min(max(0.0, cx - cw / 2), w - cw)
    return round(x0), round(y0), round(x0) + cw, round(y0) + ch


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
