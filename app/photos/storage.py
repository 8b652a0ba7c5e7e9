"""Content-addressed pictures in the file store (``app.filestore``): key
``<sha[:2]>/<sha[2:4]>/<sha>.<ext>``, ``.jpg`` for JPEG bytes and ``.bin`` for anything else (a
PNG or WebP original). With the filesystem store that is the path under ``UPLOAD_DIR``.

A name is the SHA-256 of the bytes, so a file never changes once written: a second store of
the same bytes keeps the existing file, and a crash mid-write leaves only a temp file behind
(on disk: written next to the target, then ``os.replace``d, which is atomic on one
filesystem; in the database: one transaction with the record that uses it).
"""
import hashlib
import os
import re

from flask import current_app

from .. import filestore

_SHA_RE = re.compile(r"[0-9a-f]{64}")
JPEG, BINARY = "jpg", "bin"
JPEG_MAGIC = b"\xff\xd8\xff"


def key_for(sha, ext=JPEG):
    if not _SHA_RE.fullmatch(sha or "") or ext not in (JPEG, BINARY):
        raise ValueError("not a stored-file name")
    return f"{sha[:2]}/{sha[2:4]}/{sha}.{ext}"


def path_for(sha, ext=JPEG):
    """Where the filesystem store keeps ``sha`` (whichever store is configured)."""
    return filestore.FileSystemStore(current_app.config["UPLOAD_DIR"]).ref(key_for(sha, ext))


def extension(data):
    return JPEG if data.startswith(JPEG_MAGIC) else BINARY


def store(data):
    """Write ``data`` once under its hash; return the hex SHA-256 (on the database store,
    the caller's commit keeps it)."""
    sha = hashlib.sha256(data).hexdigest()
    filestore.put(key_for(sha, extension(data)), data, replace=False)
    return sha


def open_bytes(sha):
    """The stored bytes; FileNotFoundError when nothing is stored under ``sha``."""
    for ext in (JPEG, BINARY):
        try:
            return filestore.read(filestore.ref(key_for(sha, ext)))
        except FileNotFoundError:
            continue
    raise FileNotFoundError(sha)


def import_dir():
    """The folder of the filesystem store where uploaded ZIPs wait for their job."""
    folder = os.path.join(current_app.config["UPLOAD_DIR"], filestore.IMPORTS)
    os.makedirs(folder, exist_ok=True)
    return folder
