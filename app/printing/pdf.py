"""The one PDF renderer for printable forms (xhtml2pdf + a CJK font).

Templates say ``font-family: KsCJK`` and nothing else: the font is registered
with ReportLab directly and added to xhtml2pdf's family table, so no
``@font-face`` path has to get past xhtml2pdf's resource policy. Without a
usable TrueType font we fall back to ReportLab's built-in CID font
STSong-Light (not embedded, but every PDF viewer ships it), never to boxes.

xhtml2pdf draws a run in one font only, so characters the main font lacks (CJK
Extension B names such as 𠈌) are wrapped, in every printed value, in a span of a
fallback TrueType font that has them (:func:`printable`, the forms' Jinja finalize;
Debian fonts-hanazono by default). A character no registered font has is refused
(:class:`UnprintableText`): a name must never print with a character missing.

Resources: ``<img src="mem:NAME">`` serves bytes passed in ``images``;
``data:`` URIs pass through; local files only from inside ``base_url``;
everything else (http, https, file paths elsewhere) is refused without I/O.
"""
from __future__ import annotations

import array
import base64
import hashlib
import hmac
import io
import itertools
import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from markupsafe import Markup, escape
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as x2p_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from ..refusals import BadInput

log = logging.getLogger(__name__)

FONT_FAMILY = "KsCJK"
CID_FALLBACK = "STSong-Light"
FONT_ENV = "KAOSHENG_CJK_FONT"
# Noto CJK is deliberately absent: its .ttc holds CFF outlines ReportLab cannot read.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
FALLBACK_ENV = "KAOSHENG_CJK_FALLBACK_FONTS"  # paths joined by os.pathsep; "" for none
# TrueType (not CFF) fonts with the rare characters wqy-zenhei lacks: HanaMinA has the BMP
# and Extension A, HanaMinB Extensions B and later.
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)
# Rewriting a refused URI to an empty inline image keeps the refusal free of any
# I/O even if xhtml2pdf's own policy were ever loosened.
_REFUSED = "data:,"


def _to_unicode_cmap(fontname, subset):
    """ReportLab's ToUnicode CMap with characters beyond the BMP written as UTF-16.

    ReportLab writes each code point as ``<%04X>``: 𠈌 U+2020C became ``<2020C>``, which
    readers take as U+2020 "†" -- the PDF showed the right glyph but copied, searched and
    extracted (pdftotext) as a wrong name.
    """
    cmap = _reportlab_to_unicode_cmap(fontname, [min(cp, 0xFFFF) for cp in subset])
    for code, cp in enumerate(subset):
        if cp > 0xFFFF:
            utf16 = chr(cp).encode("utf-16-be").hex().upper()
            cmap = cmap.replace(f"<{code:02X}> <FFFF>", f"<{code:02X}> <{utf16}>", 1)
    return cmap


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap
ttfonts.makeToUnicodeCMap = _to_unicode_cmap


class PdfRenderError(RuntimeError):
    pass


class UnprintableText(PdfRenderError, BadInput):
    """A character no registered font can draw: printing it would drop it silently. A
    refusal (400) whose ``message`` says which character and field.

    ``field`` (a label) is filled in by the caller that knows which value held it.
    """

    def __init__(self, char, field=None):
        super().__init__(f"no font has {char!r} (U+{ord(char):04X})")
        self.char = char
        self.field = field

    @property
    def message(self):
        from flask_babel import lazy_gettext as _l

        return _l("“%(char)s” (U+%(code)s) in “%(field)s” cannot be printed: no installed font "
                  "has this character. Ask the administrator to install a font that covers it "
                  "(e.g. fonts-hanazono); the form was not printed.",
                  char=self.char, code=f"{ord(self.char):04X}",
                  field=self.field or _l("a printed field"))


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
    global _font, _primary_chars
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
            _primary_chars = _glyphs(ttf) if ttf is not None else _Ucs2()
    return _font


class _Ucs2:
    """What STSong-Light may draw: ReportLab sends it UCS-2 (UniGB-UCS2-H), so no character
    beyond the BMP -- an Extension B character would come out as two wrong glyphs."""

    def __contains__(self, char):
        return ord(char) <= 0xFFFF


def _glyphs(ttf: TTFont) -> frozenset:
    # Glyph 0 is .notdef: a cmap entry pointing at it draws a box, not the character.
    return frozenset(chr(cp) for cp, gid in ttf.face.charToGlyph.items() if gid)


class Fallback(NamedTuple):
    family: str  # registered with ReportLab and xhtml2pdf under this name
    path: str
    chars: frozenset


class FontSet(NamedTuple):
    """The main font's characters and the fallbacks, in the order they are tried."""

    primary: object  # supports ``char in primary``
    fallbacks: tuple

    def font_of(self, char) -> int:
        """0: the main font; n: fallback n; -1: no registered font has ``char``."""
        if char in self.primary or char.isspace():
            return 0
        for n, fallback in enumerate(self.fallbacks, 1):
            if char in fallback.chars:
                return n
        return -1

    def markup(self, text: str) -> Markup:
        """``text`` escaped, each run the main font lacks in a span of a fallback font."""
        parts = []
        for font, run in itertools.groupby(text, key=self.font_of):
            run = "".join(run)
            if font < 0:
                raise UnprintableText(run[0])
            if font == 0:
                parts.append(escape(run))
            else:
                family = self.fallbacks[font - 1].family
                parts.append(Markup('<span style="font-family: %s">%s</span>') % (family, run))
        return Markup("").join(parts)


_primary_chars: object = None
_fallbacks: dict[str, Fallback | None] = {}  # path -> loaded font (None: unusable)
_font_sets: dict[tuple, FontSet] = {}


def _setting(name: str) -> str | None:
    """A Flask config value, else the environment's; None when neither sets it."""
    try:
        from flask import current_app, has_app_context

        if has_app_context() and name in current_app.config:
            return current_app.config[name]
    except ImportError:
        pass
    return os.environ.get(name)


def fallback_paths() -> tuple[str, ...]:
    """The fallback fonts: the setting's paths, or the installed FALLBACK_CANDIDATES.

    Optional on purpose: without them the product still prints, and refuses only the
    characters nothing can draw.
    """
    configured = _setting(FALLBACK_ENV)
    if configured is None:
        return tuple(p for p in FALLBACK_CANDIDATES if os.path.isfile(p))
    return tuple(p for p in str(configured).split(os.pathsep) if p)


def _load_fallback(path: str) -> Fallback | None:
    stem = "".join(ch for ch in Path(path).stem if ch.isalnum())
    family = f"{FONT_FAMILY}Fallback{len(_fallbacks)}{stem}"
    try:
        ttf = TTFont(family, path, subfontIndex=0)
    except Exception as exc:  # missing file, CFF outlines, a broken cmap …
        log.warning("fallback font %s unusable (%s); ignored", path, exc)
        return None
    pdfmetrics.registerFont(ttf)
    x2p_default.DEFAULT_FONT[family.lower()] = family
    return Fallback(family, path, _glyphs(ttf))


def _in_primary(text) -> bool:
    register_cjk_font()
    return all(char in _primary_chars or char.isspace() for char in text)


def font_set() -> FontSet:
    """The fonts printed text may use, per configuration. Each fallback is parsed once per
    process (~0.3 s), and only when a text first needs it."""
    register_cjk_font()
    paths = fallback_paths()
    fonts = _font_sets.get(paths)
    if fonts is None:
        with _font_lock:
            for path in paths:
                if path not in _fallbacks:
                    _fallbacks[path] = _load_fallback(path)
            loaded = tuple(_fallbacks[p] for p in paths if _fallbacks[p] is not None)
            fonts = _font_sets[paths] = FontSet(_primary_chars, loaded)
    return fonts


def printable(value):
    """The forms' Jinja ``finalize``: every printed value in fonts that can draw it.

    Raises :class:`UnprintableText` for a character no font has, rather than print a name
    with a character missing. Markup (a macro's output) was finalized piece by piece.
    """
    if not isinstance(value, str) or hasattr(value, "__html__"):
        return value
    if _in_primary(value):
        return value
    return font_set().markup(value)


def check_drawable(html: str) -> None:
    """Refuse a document holding a character no registered font has (template text, or a
    value that reached the HTML without :func:`printable`)."""
    chars = set(html)
    if _in_primary(chars):
        return
    fonts = font_set()
    for char in sorted(chars):
        if fonts.font_of(char) < 0:
            raise UnprintableText(char)


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
    check_drawable(html)
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


class PdfConcatenation:
    """One PDF written into the binary file ``out`` a source at a time (:meth:`append`).

    pypdf's ``PdfWriter`` keeps every page object of every source until it writes, so a
    batch of 2,000 forms held ~1 GB. Here each source is read, its pages' objects are
    written out under new numbers, and the source is dropped: what stays is one offset per
    object written and one number per page, whatever the batch size. Object 1 is the page
    tree (written by :meth:`close`, the sources' page trees map to it), object 2 the
    catalogue; a classic xref table closes the file.
    """

    _PAGES, _CATALOG = 1, 2

    def __init__(self, out):
        self.out = out
        # Of objects 1, 2, … (the first two written by close()); machine integers, 8 bytes each.
        self.offsets = array.array("q", (0, 0))
        self.kids = array.array("q")
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self):
        return len(self.kids)

    def append(self, source):
        """Write the pages of ``source`` (bytes or a seekable binary file, read now)."""
        reader = PdfReader(source if hasattr(source, "read") else io.BytesIO(source))
        numbers, pending = {}, []

        def number(reference):
            key = (reference.idnum, reference.generation)
            if key not in numbers:
                target = reference.get_object()
                if isinstance(target, dict) and target.get("/Type") == "/Pages":
                    numbers[key] = self._PAGES  # a page's /Parent: the merged page tree
                else:
                    self.offsets.append(0)
                    numbers[key] = len(self.offsets)
                    pending.append((numbers[key], target))
            return numbers[key]

        # reader.pages copies inherited attributes (resources, media box) into each page.
        self.kids.extend(number(page.indirect_reference) for page in reader.pages)
        while pending:
            self._object(*pending.pop(), number)
        # The reader's objects point back at it: close() drops its caches, and its validated
        # catalogue goes too, so the parsed part is freed now, by reference counting, instead
        # of piling up until the next full garbage collection.
        reader.close()
        reader._validated_root = None

    def _object(self, num, value, number):
        self.offsets[num - 1] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % num)
        self._value(value, number)
        self.out.write(b"\nendobj\n")

    def _value(self, value, number):
        """Serialise ``value`` with its references renumbered (``number``)."""
        write = self.out.write
        if isinstance(value, IndirectObject):
            write(b"%d 0 R" % number(value))
        elif isinstance(value, DictionaryObject):
            stream = isinstance(value, StreamObject)
            write(b"<<")
            for key, item in value.items():
                if stream and key == "/Length":
                    continue
                key.write_to_stream(self.out)
                write(b" ")
                self._value(item, number)
                write(b"\n")
            if not stream:
                write(b">>")
            else:
                raw = value._data  # the stream as stored (still encoded)
                write(b"/Length %d>>\nstream\n" % len(raw) + raw + b"\nendstream")
        elif isinstance(value, ArrayObject):
            write(b"[")
            for item in value:
                write(b" ")
                self._value(item, number)
            write(b" ]")
        else:
            value.write_to_stream(self.out)

    def close(self):
        """Write the page tree, the catalogue, the xref table and the trailer."""
        kids = b" ".join(b"%d 0 R" % k for k in self.kids)
        self._raw(self._PAGES, b"<</Type /Pages /Kids [%s] /Count %d>>" % (kids, len(self.kids)))
        self._raw(self._CATALOG, b"<</Type /Catalog /Pages %d 0 R>>" % self._PAGES)
        xref = self.out.tell()
        self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1))
        for start in range(0, len(self.offsets), 512):  # in slices: no table-sized string
            self.out.write(b"".join(b"%010d 00000 n \n" % o
                                    for o in self.offsets[start:start + 512]))
        self.out.write(b"trailer\n<</Size %d /Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
                       % (len(self.offsets) + 1, self._CATALOG, xref))

    def _raw(self, num, body):
        self.offsets[num - 1] = self.out.tell()
        self.out.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))


def merge_pdfs(parts, out=None):
    """Concatenate PDFs (bytes, or seekable binary files), e.g. one form per candidate for
    batch printing: returned as bytes, or written to the binary file ``out`` and the page
    count returned. ``parts`` is consumed one at a time (a generator may open each file
    only while it is read): memory does not grow with their number."""
    target = io.BytesIO() if out is None else out
    merged = PdfConcatenation(target)
    for part in parts:
        merged.append(part)
    merged.close()
    return target.getvalue() if out is None else merged.pages


def page_count(pdf: bytes) -> int:
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
