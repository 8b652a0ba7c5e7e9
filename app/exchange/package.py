"""The exchange ZIP (数据交换包): DBF tables written with the ``dbf`` library, photos, and a
``manifest.json`` with row counts and the SHA-256 of every file; reading one back without
trusting it (member names never become paths, every hash is checked before any use).
"""
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile

import dbf
from flask_babel import lazy_gettext as _l

from ..backup import file_sha256
from ..refusals import BadInput
from . import dbf_format as fmt

MAX_MEMBERS = 200_000
#: T_BMK records one import takes (the registry import's bound on a worker's memory).
MAX_ROWS = 200_000
_CHUNK = 1 << 20
MAX_TABLE_BYTES = 1024 * 1024 * 1024
_TABLE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,30}\.DBF")
_PHOTO_RE = re.compile(fmt.PHOTO_DIR + r"/([0-9A-Z]{1,20})\.jpg")


class BadPackage(BadInput):
    """The upload is not an exchange package we can read; ``message`` says why (translated)."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- writing ----------------------------------------------------------------------------


def write_table(path, spec, rows):
    """Write one GBK Visual FoxPro table at ``path``; ``rows`` are tuples in field order."""
    table = dbf.Table(path, spec, dbf_type="vfp", codepage=fmt.CODEPAGE)
    table.open(dbf.READ_WRITE)
    try:
        count = 0
        for row in rows:
            table.append(row)
            count += 1
    finally:
        table.close()
    return count


class PackageWriter:
    """Adds files to the ZIP at ``path`` and records each one's hash for the manifest."""

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.files = {}

    def add_bytes(self, name, data, compress=True):
        self.zip.writestr(name, data, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        self.files[name] = {"sha256": sha256(data), "size": len(data)}

    def add_table(self, name, spec, rows):
        """Write ``rows`` (any iterable, consumed as it is written) as the table ``name``."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, name)
            count = write_table(path, spec, rows)
            # Streamed from disk: a province's T_BMK is far larger than a worker's memory.
            self.zip.write(path, name)
            self.files[name] = {"sha256": file_sha256(path), "size": os.path.getsize(path),
                                "rows": count}
        return count

    def close(self, manifest):
        manifest = dict(manifest, files=self.files)
        self.zip.writestr(fmt.MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        self.zip.close()


# --- reading ----------------------------------------------------------------------------


def _manifest(archive):
    try:
        raw = archive.read(fmt.MANIFEST)
    except KeyError:
        raise BadPackage(_l("The ZIP file has no manifest.json: it is not an exchange "
                            "package.")) from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadPackage(_l("The manifest.json of the ZIP file cannot be read.")) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BadPackage(_l("The manifest.json of the ZIP file lists no files."))
    return manifest


def _check_name(name):
    if name == fmt.MANIFEST or _TABLE_RE.fullmatch(name) or _PHOTO_RE.fullmatch(name):
        return
    raise BadPackage(_l("The ZIP file holds an unexpected file: %(name)s", name=name[:100]))


def _check_member(archive, name, entry):
    """The member's bytes match the manifest's SHA-256 (read in chunks, never whole)."""
    info = archive.getinfo(name)
    if info.file_size > MAX_TABLE_BYTES or info.flag_bits & 0x1:
        raise BadPackage(_l("The file %(name)s in the ZIP file cannot be read.", name=name))
    digest = hashlib.sha256()
    try:
        with archive.open(info) as fh:
            for block in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(block)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise BadPackage(_l("The file %(name)s is damaged inside the ZIP file.",
                            name=name)) from None
    if not isinstance(entry, dict) or digest.hexdigest() != entry.get("sha256"):
        raise BadPackage(_l("The file %(name)s does not match the SHA-256 hash of the "
                            "manifest: the package was changed or damaged in transfer.",
                            name=name))


def open_package(path):
    """Open and verify the package at ``path``: (ZipFile, manifest). BadPackage (with a
    translated reason) for anything but an intact package of this format."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise BadPackage(_l("The file is not a valid ZIP archive")) from None
    try:
        verify(archive)
    except BadPackage:
        archive.close()
        raise
    return archive, _manifest(archive)


def verify(archive):
    manifest = _manifest(archive)
    names = [i.filename for i in archive.infolist() if not i.is_dir()]
    if len(names) > MAX_MEMBERS:
        raise BadPackage(_l("The ZIP file holds too many files."))
    if len(set(names)) != len(names):
        raise BadPackage(_l("The ZIP file holds the same name twice."))
    for name in names:
        _check_name(name)
    listed = manifest["files"]
    missing = sorted(set(listed) - set(names))
    if missing:
        raise BadPackage(_l("The manifest lists %(name)s, which is not in the ZIP file.",
                            name=missing[0]))
    extra = sorted(set(names) - set(listed) - {fmt.MANIFEST})
    if extra:
        raise BadPackage(_l("The ZIP file holds %(name)s, which the manifest does not list.",
                            name=extra[0]))
    if fmt.REGISTRATION_TABLE + ".DBF" not in listed:
        raise BadPackage(_l("The package has no registration table %(name)s.",
                            name=fmt.REGISTRATION_TABLE + ".DBF"))
    for name in names:
        if name != fmt.MANIFEST:
            _check_member(archive, name, listed[name])
    with _registration_table(archive):
        pass  # readable, with the required fields


def photo_members(archive):
    """{考生号: member name} of the package's photos."""
    out = {}
    for name in archive.namelist():
        match = _PHOTO_RE.fullmatch(name)
        if match:
            out[match.group(1)] = name
    return out


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


@contextlib.contextmanager
def _registration_table(archive):
    """T_BMK opened read-only from a temp copy, as GBK (the format's encoding, whatever the
    header's code page mark says); BadPackage when it is unreadable or lacks a required field."""
    name = fmt.REGISTRATION_TABLE + ".DBF"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with archive.open(name) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)
        try:
            table = dbf.Table(path, codepage=fmt.CODEPAGE)
            table.open(dbf.READ_ONLY)
        except Exception:
            raise BadPackage(_l("The table %(name)s is not a readable DBF table.",
                                name=name)) from None
        try:
            fields = [f.upper() for f in dbf.field_names(table)]
            missing = [f for f in fmt.REQUIRED if f not in fields]
            if missing:
                raise BadPackage(_l("The table %(name)s lacks the fields %(fields)s.",
                                    name=name, fields="、".join(missing)))
            if len(table) > MAX_ROWS:
                raise BadPackage(_l("The table %(name)s has more than %(n)d records: split "
                                    "the package (by city or county).", name=name, n=MAX_ROWS))
            yield table, fields
        except UnicodeDecodeError:
            raise BadPackage(_l("The table %(name)s is not GBK-encoded.", name=name)) from None
        finally:
            table.close()


def read_registrations(archive):
    """The T_BMK rows as (row number, {DBF field: text}), deleted records left out."""
    with _registration_table(archive) as (table, fields):
        return [(number, {f: _text(record[f]) for f in fields})
                for number, record in enumerate(table, 1) if not dbf.is_deleted(record)]
