"""Content-addressed file store under ``UPLOAD_DIR``: ``<dir>/<sha[:2]>/<sha[2:4]>/<sha>.<ext>``,
``.jpg`` for JPEG bytes and ``.bin`` for anything else (a PNG or WebP original).

A name is the SHA-256 of the bytes, so a file never changes once written: a second store of
the same bytes keeps the existing file, and a crash mid-write leaves only a temp file behind
(written next to the target, then ``os.replace``d, which is atomic on one filesystem).
"""
import hashlib
import os
import re
import tempfile

from flask import current_app

_SHA_RE = re.compile(r"[0-9a-f]{64}")
JPEG, BINARY = "jpg", "bin"
JPEG_MAGIC = b"\xff\xd8\xff"


def _root():
    return current_app.config["UPLOAD_DIR"]


def path_for(sha, ext=JPEG):
    if not _SHA_RE.fullmatch(sha or "") or ext not in (JPEG, BINARY):
        raise ValueError("not a stored-file name")
    return os.path.join(_root(), sha[:2], sha[2:4], f"{sha}.{ext}")


def extension(data):
    return JPEG if data.startswith(JPEG_MAGIC) else BINARY


def store(data):
    """Write ``data`` once under its hash; return the hex SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(sha, extension(data))
    if os.path.exists(target):
        return sha
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha


def open_bytes(sha):
    """The stored bytes; FileNotFoundError when nothing is stored under ``sha``."""
    for ext in (JPEG, BINARY):
        try:
            with open(path_for(sha, ext), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            continue
    raise FileNotFoundError(sha)


def import_dir():
    """Where uploaded ZIPs wait for their background job."""
    folder = os.path.join(_root(), "imports")
    os.makedirs(folder, exist_ok=True)
    return folder
