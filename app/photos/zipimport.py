"""Reading an uploaded ZIP of pictures named ``<ID number>.jpg`` without trusting it.

Member names never become paths (nothing is extracted to disk): a name with ``..`` or an
absolute path is refused outright rather than "cleaned", since it signals a crafted archive.
Sizes are checked on the central directory before reading and again while reading (the
directory can lie), and a compression ratio no photograph reaches marks a zip bomb.
"""
import contextlib
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import filestore
from ..refusals import BadInput
from .checks import JPEG_MAGIC

MAX_MEMBER_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 20_000
# JPEG data is already compressed; deflate gains a few percent. 20:1 is a crafted member.
MAX_RATIO = 20
_ID_RE = re.compile(r"\d{17}[\dX]")
_EXTENSIONS = (".jpg", ".jpeg")


class BadArchive(BadInput):
    """The upload is not a readable ZIP file; nothing was imported."""

    def __init__(self):
        super().__init__(_l("The file is not a valid ZIP archive"))


@dataclass(frozen=True)
class Member:
    name: str                   # as written in the archive
    id_number: str | None = None
    data: bytes | None = None   # set only for a member worth matching
    code: str = ""              # rejection code, empty when accepted
    reason: object = ""         # translated rejection message


def _rejected(name, code, reason):
    return Member(name, code=code, reason=reason)


def _unsafe(name):
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[/\\]", name)


def open_archive(path):
    """Open the ZIP at ``path`` (or in a seekable binary file); BadArchive when it is not one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise BadArchive() from None


@contextlib.contextmanager
def stored_archive(reference):
    """The ZIP kept in the file store as ``reference``, open (read a chunk at a time, never
    whole); BadArchive when it is gone or not a ZIP."""
    try:
        upload = filestore.open_file(reference)
    except FileNotFoundError:
        raise BadArchive() from None
    with upload, open_archive(upload) as archive:
        yield archive


def files_in(archive):
    """The file members (folders left out) in archive order."""
    return [i for i in archive.infolist() if not i.is_dir()]


def named_id(name):
    """The ID number a member's name gives (upper case), or None when the name is not
    ``<ID number>.jpg``. Nested folders are fine: only the file name says whose picture it is."""
    base = posixpath.basename(name.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    id_number = stem.upper()
    if not dot or "." + ext.lower() not in _EXTENSIONS or not _ID_RE.fullmatch(id_number):
        return None
    return id_number


def read_member(archive, info, seen):
    """Judge one member. ``seen`` maps each ID number met so far to its member's name: one
    picture per candidate, whatever the folder, letter case or ``.jpg``/``.jpeg`` spelling."""
    name = info.filename
    if _unsafe(name):
        return _rejected(name, "unsafe_path", _l("Unsafe path in the archive (.. or absolute)"))
    id_number = named_id(name)
    if id_number is None:
        return _rejected(name, "bad_name",
                         _l("The file name must be the ID number followed by .jpg"))
    if id_number in seen:
        return _rejected(name, "duplicate", _l(
            "Another file in the archive is for the same ID number: %(name)s",
            name=seen[id_number]))
    seen[id_number] = name
    if info.flag_bits & 0x1:
        return _rejected(name, "encrypted", _l("Encrypted files cannot be read"))
    if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > 64 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size)):
        return _too_big(name)
    try:
        with archive.open(info) as fh:
            data = fh.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError):
        return _rejected(name, "corrupt", _l("The file is damaged inside the archive"))
    if len(data) > MAX_MEMBER_BYTES:
        return _too_big(name)
    if not data.startswith(JPEG_MAGIC):
        return _rejected(name, "not_jpeg", _l("Not a JPEG file"))
    return Member(name, id_number=id_number, data=data)


def _too_big(name):
    return _rejected(name, "too_big", _l("The file is larger than %(max)d MB",
                                         max=MAX_MEMBER_BYTES // (1024 * 1024)))
