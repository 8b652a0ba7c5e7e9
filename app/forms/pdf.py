"""The one PDF renderer for printable forms (xhtml2pdf + a CJK font).

Templates say ``font-family: KsCJK`` and nothing else: the font is registered
with ReportLab directly and added to xhtml2pdf's family table, so no
``@font-face`` path has to get past xhtml2pdf's resource policy. Without a
usable TrueType font we fall back to ReportLab's built-in CID font
STSong-Light (not embedded, but every PDF viewer ships it), never to boxes.

Resources: ``<img src="mem:NAME">`` serves bytes passed in ``images``;
``data:`` URIs pass through; local files only from inside ``base_url``;
everything else (http, https, file paths elsewhere) is refused without I/O.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as x2p_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

log = logging.getLogger(__name__)

FONT_FAMILY = "KsCJK"
CID_FALLBACK = "STSong-Light"
FONT_ENV = "KAOSHENG_CJK_FONT"
# Noto CJK is deliberately absent: its .ttc holds CFF outlines ReportLab cannot read.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
# Rewriting a refused URI to an empty inline image keeps the refusal free of any
# I/O even if xhtml2pdf's own policy were ever loosened.
_REFUSED = "data:,"


class PdfRenderError(RuntimeError):
    pass


class CjkFont(NamedTuple):
    family: str  # the CSS font-family templates use
    reportlab_name: str  # KsCJK for the TTF, STSong-Light for the fallback
    is_ttf: bool
    path: str | None


_font: CjkFont | None = None
_font_lock = threading.Lock()


def _configured_font() -> str | None:
    try:
        from flask import current_app, has_app_context

        if has_app_context() and current_app.config.get(FONT_ENV):
            return current_app.config[FONT_ENV]
    except ImportError:
        pass
    return os.environ.get(FONT_ENV) or None


def font_path() -> str | None:
    """The CJK TrueType font to use, or None for the STSong-Light fallback.

    An explicit setting (Flask config, then env) is authoritative: if it names
    a missing file we fall back rather than silently pick another font.
    """
    configured = _configured_font()
    if configured:
        return configured if os.path.isfile(configured) else None
    return next((p for p in FONT_CANDIDATES if os.path.isfile(p)), None)


def _load_ttf(path: str) -> TTFont | None:
    try:
        font = TTFont(FONT_FAMILY, path, subfontIndex=0)
    except Exception as exc:  # ReportLab raises assorted errors on unusable files
        log.warning("CJK font %s unusable (%s); using %s", path, exc, CID_FALLBACK)
        return None
    if ord("中") not in font.face.charToGlyph:
        log.warning("font %s has no Chinese glyphs; using %s", path, CID_FALLBACK)
        return None
    return font


def register_cjk_font() -> CjkFont:
    """Register the CJK font once per process (parsing the .ttc costs ~150 ms)."""
    global _font
    if _font is not None:
        return _font
    with _font_lock:
        if _font is None:
            path = font_path()
            ttf = _load_ttf(path) if path else None
            if ttf is not None:
                pdfmetrics.registerFont(ttf)
                _font = CjkFont(FONT_FAMILY, FONT_FAMILY, True, path)
            else:
                if not path:
                    log.warning("no CJK TrueType font found; using %s", CID_FALLBACK)
                pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
                _font = CjkFont(FONT_FAMILY, CID_FALLBACK, False, None)
            # Every pisaContext copies this table, so the alias reaches each render.
            x2p_default.DEFAULT_FONT[FONT_FAMILY.lower()] = _font.reportlab_name
    return _font


def _sniff_mime(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    raise PdfRenderError("in-memory image is not JPEG, PNG or GIF")


def _base_dir(base_url: str | None) -> Path | None:
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if parts.scheme == "file":
        return Path(unquote(parts.path)).resolve()
    if parts.scheme:
        raise ValueError(f"base_url must be a local folder, not {base_url!r}")
    return Path(base_url).resolve()


def _link_callback(base: Path | None, images: dict[str, bytes], refused: list[str]):
    def resolve(uri, _rel):
        uri = str(uri)
        if uri.startswith("data:"):
            return None
        if uri.startswith("mem:"):
            data = images.get(uri[4:])
            if data is not None:
                return f"data:{_sniff_mime(data)};base64,{base64.b64encode(data).decode()}"
        else:
            parts = urlsplit(uri)
            if parts.scheme == "file":
                uri = unquote(parts.path)
            if base is not None and parts.scheme in ("", "file"):
                path = (base / uri).resolve()  # an absolute uri replaces base
                if path.is_relative_to(base) and path.is_file():
                    return str(path)
        refused.append(uri)
        return _REFUSED

    return resolve


def render_pdf(
    html: str, base_url: str | None = None, images: dict[str, bytes] | None = None
) -> bytes:
    """Render HTML to PDF bytes.

    ``base_url`` is the only folder local files may be read from (None: no
    local reads); ``images`` serves ``<img src="mem:KEY">``. Refused resources
    are left out of the PDF and logged, they do not fail the render.
    """
    register_cjk_font()
    base = _base_dir(base_url)
    refused: list[str] = []
    # Belt and braces: xhtml2pdf fetches fonts/backgrounds without the callback,
    # so the policy also forbids the network and confines reads to base.
    policy = ResourceAccessPolicy.server(base_dir=base, allow_remote=False)
    out = io.BytesIO()
    try:
        status = pisa.CreatePDF(
            html,
            dest=out,
            link_callback=_link_callback(base, images or {}, refused),
            resource_policy=policy,
        )
    except PdfRenderError:
        raise
    except Exception as exc:
        raise PdfRenderError(f"PDF rendering failed: {exc}") from exc
    for uri in refused:
        log.warning("PDF resource refused: %.120s", uri)
    if status.err:
        raise PdfRenderError(f"PDF rendering reported {status.err} error(s)")
    return out.getvalue()


def merge_pdfs(parts: list[bytes]) -> bytes:
    """Concatenate PDFs, e.g. one form per candidate for batch printing."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def verification_code(kind: str, record_id: int, version: int, secret: bytes) -> str:
    """A 60-bit HMAC code (XXXX-XXXX-XXXX) binding a printout to a record version.

    Typing it back into the system proves the paper matches that exact version.
    """
    msg = f"kaosheng-form-v1\x00{kind}\x00{int(record_id)}\x00{int(version)}".encode()
    digest = hmac.new(secret, msg, hashlib.sha256).digest()
    raw = base64.b32encode(digest).decode()[:12]
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


# Base32 has no 0/1/8; accept the look-alikes people type from paper.
_TYPO = str.maketrans({"0": "O", "1": "I", "8": "B"})


def normalise_code(code: str) -> str:
    """A code as typed from paper (any case, spaces, dashes, 0/1/8 look-alikes) in its printed
    form ``XXXX-XXXX-XXXX``; anything that cannot be a code comes back unchanged in shape."""
    raw = "".join(str(code or "").split()).replace("-", "").upper().translate(_TYPO)
    if len(raw) != 12:
        return raw
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def is_code(code: str) -> bool:
    """Whether ``code`` (normalised) has the shape of a verification code."""
    return len(code) == 14 and all(c in _B32 for c in code.replace("-", ""))


_B32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def verify_code(code: str, kind: str, record_id: int, version: int, secret: bytes) -> bool:
    given = normalise_code(code)
    expected = verification_code(kind, record_id, version, secret)
    return hmac.compare_digest(given.encode(), expected.encode())
