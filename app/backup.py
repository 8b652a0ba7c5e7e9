"""Backup and restore (数据备份与恢复): ``flask kaosheng backup PATH`` / ``restore PATH``.

One uncompressed tar archive (photos and ``pg_dump -Fc`` output are compressed already, and
a plain tar can be listed without reading it through) holding:

- ``database/kaosheng.sqlite3`` (SQLite's online backup API: a consistent copy while the
  application runs) or ``database/kaosheng.pgdump`` (``pg_dump`` custom format, taken on a
  snapshot exported from the transaction that counts the rows, so counts and dump agree);
- ``files/…``: everything under UPLOAD_DIR (photos, ID scans, uploads, prints, snapshots);
- ``manifest.json``: row counts per table and the SHA-256 of every file, the database too,
  and (``stored``) of every file the database itself holds (FILE_STORE="postgresql", in the
  dump), read from the dump's snapshot and checked again after a restore.

The database is dumped before the files are copied: stored files are content-addressed and
never rewritten, so every file the dump refers to is in the archive (files added meanwhile
are extra, never missing).

A restore checks every hash before it touches anything, loads only into an empty database
and file store (``--force`` empties them first), and verifies counts and hashes afterwards.
"""
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile

import click
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from .audit import log_event
from .extensions import db
from .filestore import Blob, DatabaseStore
from .refusals import Refused

FORMAT, VERSION = "kaosheng-backup", 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/kaosheng.sqlite3"
PG_MEMBER = "database/kaosheng.pgdump"
FILES_PREFIX = "files/"
#: how backups kept under UPLOAD_DIR are named (the incident playbook's); never backed up.
BACKUP_SUFFIX = ".backup.tar"
_CHUNK = 1 << 20


class BackupError(Refused):
    """A backup or restore that cannot go on; the message (translated) says why."""


def stream_sha256(fh):
    """The SHA-256 of a binary file, read a chunk at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(_CHUNK), b""):
        digest.update(block)
    return digest.hexdigest()


def file_sha256(path):
    with open(path, "rb") as fh:
        return stream_sha256(fh)


def _dialect():
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(_l("Backups support SQLite and PostgreSQL, not %(name)s.", name=name))
    return name


def table_counts(conn):
    """{table: rows} of every table in the database (ours, FAB's, Alembic's)."""
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names}


def stored_files(conn, counts):
    """{key: SHA-256} of the files held in the database (the database file store)."""
    if Blob.__tablename__ not in counts:
        return {}
    return dict(conn.execute(select(Blob.key, Blob.sha256).order_by(Blob.key)).all())


# --- PostgreSQL tools ---------------------------------------------------------------------


def _pg_env():
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _tool_major(tool):
    """The major version of ``pg_dump`` / ``pg_restore``; BackupError when it is missing."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(_l("%(tool)s is not installed (Debian: apt-get install "
                             "postgresql-client).", tool=tool))
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return path, int(match.group(1))


def _server_major(conn):
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _check_tool(tool, needed):
    """``tool`` must be at least the ``needed`` major version (a dump of a newer server, or
    restoring a newer tool's dump, fails half-way otherwise)."""
    path, major = _tool_major(tool)
    if major < needed:
        raise BackupError(_l("%(tool)s is version %(have)d but the database needs %(need)d or "
                             "later: install the matching postgresql-client.",
                             tool=tool, have=major, need=needed))
    return path, major


def _run(args, what):
    result = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(_l("%(what)s failed: %(error)s", what=what,
                             error=(result.stderr or "").strip()[-400:]))


# --- backup -------------------------------------------------------------------------------


def _dump_sqlite(folder):
    target = os.path.join(folder, "db.sqlite3")
    source = db.engine.raw_connection()
    try:
        dest = sqlite3.connect(target)
        try:
            source.driver_connection.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    # Counted on the copy itself: exactly what the archive holds.
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            stored = stored_files(conn, counts)
    finally:
        engine.dispose()
    return target, SQLITE_MEMBER, counts, {"stored": stored}


def _dump_postgresql(folder):
    target = os.path.join(folder, "db.pgdump")
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            server = _server_major(conn)
            path, major = _check_tool("pg_dump", server)
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = table_counts(conn)
            stored = stored_files(conn, counts)
            # The dump reads the same snapshot while this transaction stays open.
            _run([path, "--format=custom", f"--snapshot={snapshot}", "--file", target],
                 "pg_dump")
    return target, PG_MEMBER, counts, {"server_major": server, "pg_dump_major": major,
                                       "stored": stored}


def _store_files(root, skip):
    """(absolute path, archive name) of every stored file under UPLOAD_DIR, but for the paths
    in ``skip`` (the archive being written and its work folder)."""
    out = []
    if not os.path.isdir(root):
        return out
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(folder, d)) not in skip)
        for name in sorted(files):
            path = os.path.join(folder, name)
            # Half-written temp files are never part of the record, nor are earlier backups
            # kept in the store (each backup would otherwise hold all the ones before it).
            if name.startswith(".tmp-") or name.endswith((".tmp", BACKUP_SUFFIX)) or \
                    os.path.realpath(path) in skip:
                continue
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            out.append((path, FILES_PREFIX + rel))
    return out


def write_backup(path):
    """Write the archive at ``path`` (atomically); return its manifest."""
    dialect = _dialect()
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp_archive = f"{path}.tmp"
    with tempfile.TemporaryDirectory(dir=folder) as work:
        dump = _dump_sqlite if dialect == "sqlite" else _dump_postgresql
        db_file, db_member, counts, versions = dump(work)
        files = {db_member: file_sha256(db_file)}
        with tarfile.open(tmp_archive, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(db_file, arcname=db_member)
            skip = {os.path.realpath(p) for p in (path, tmp_archive, work)}
            for source, name in _store_files(current_app.config["UPLOAD_DIR"], skip):
                files[name] = file_sha256(source)
                tar.add(source, arcname=name)
            manifest = {"format": FORMAT, "version": VERSION, "dialect": dialect,
                        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
                        "database": db_member, "tables": counts, "files": files, **versions}
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp_archive, path)
    return manifest


# --- restore ------------------------------------------------------------------------------


def _safe_member(member, manifest):
    name = member.name
    if name == MANIFEST:
        return
    bad = (not member.isfile() or name.startswith("/") or ".." in name.split("/")
           or name not in manifest["files"])
    if bad:
        raise BackupError(_l("The archive holds an unexpected entry: %(name)s", name=name[:100]))


def read_manifest(tar):
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError, AttributeError):
        raise BackupError(_l("The archive has no readable manifest.json: it is not a "
                             "kaosheng backup.")) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(_l("The archive is not a kaosheng backup of a version this "
                             "program restores."))
    return manifest


def verify_archive(tar, manifest):
    """Every member listed, every listed file present and matching its SHA-256."""
    members = {m.name: m for m in tar.getmembers()}
    for member in members.values():
        _safe_member(member, manifest)
    for name, sha in manifest["files"].items():
        member = members.get(name)
        if member is None:
            raise BackupError(_l("The manifest lists %(name)s, which is not in the archive.",
                                 name=name))
        with tar.extractfile(member) as fh:
            digest = stream_sha256(fh)
        if digest != sha:
            raise BackupError(_l("%(name)s does not match the SHA-256 hash of the manifest: "
                                 "the archive is damaged.", name=name))
    return members


def _store_is_empty(root):
    return not os.path.isdir(root) or not any(files for _f, _d, files in os.walk(root))


def _check_empty(force, archive_path):
    root = current_app.config["UPLOAD_DIR"]
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    if tables and not force:
        raise BackupError(_l("The database is not empty (%(n)d tables): restore into a newly "
                             "created database, or pass --force to replace its contents.",
                             n=len(tables)))
    if not _store_is_empty(root) and not force:
        raise BackupError(_l("The file store %(dir)s is not empty: restore into an empty "
                             "folder, or pass --force to replace its contents.", dir=root))
    if force and os.path.realpath(archive_path).startswith(os.path.realpath(root) + os.sep):
        raise BackupError(_l("The archive lies inside the file store it would replace; move "
                             "it elsewhere first."))
    return tables


def _wipe(tables):
    root = current_app.config["UPLOAD_DIR"]
    if os.path.isdir(root):
        for name in os.listdir(root):
            path = os.path.join(root, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) \
                else os.unlink(path)
    if tables and db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


def _load_sqlite(dump_path):
    db.session.remove()
    db.engine.dispose()
    target = db.engine.raw_connection()
    try:
        source = sqlite3.connect(dump_path)
        try:
            # Replaces the whole target database, whatever it held.
            source.backup(target.driver_connection)
        finally:
            source.close()
    finally:
        target.close()
    db.engine.dispose()


def _load_postgresql(dump_path, manifest):
    path, _major = _check_tool("pg_restore", manifest.get("pg_dump_major", 0))
    db.session.remove()
    db.engine.dispose()
    _run([path, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--dbname", _pg_env()["PGDATABASE"], dump_path], "pg_restore")


def _extract_files(tar, members, manifest):
    root = current_app.config["UPLOAD_DIR"]
    for name in manifest["files"]:
        if not name.startswith(FILES_PREFIX):
            continue
        target = os.path.join(root, *name[len(FILES_PREFIX):].split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with tar.extractfile(members[name]) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)


def check_restored(manifest):
    """Counts and file hashes of the live database and store against the manifest; the
    list of differences (empty when the restore is complete)."""
    problems = []
    with db.engine.connect() as conn:
        counts = table_counts(conn)
    for name, rows in manifest["tables"].items():
        if counts.get(name) != rows:
            problems.append(f"{name}: {counts.get(name)} != {rows}")
    root = current_app.config["UPLOAD_DIR"]
    for name, sha in manifest["files"].items():
        if name.startswith(FILES_PREFIX):
            path = os.path.join(root, *name[len(FILES_PREFIX):].split("/"))
            if not os.path.exists(path) or file_sha256(path) != sha:
                problems.append(name)
    return problems + _check_stored(manifest.get("stored") or {})


def _check_stored(stored):
    """The files of the database file store whose bytes differ from the manifest (or are
    missing), read back from the restored database."""
    store, problems = DatabaseStore(), []
    for key, sha in stored.items():
        try:
            with store.open(key) as fh:
                if stream_sha256(fh) == sha:
                    continue
        except OSError:  # gone, or a chunk missing
            pass
        problems.append(key)
    return problems


def restore_backup(path, force=False):
    """Load the archive at ``path`` into the configured database and UPLOAD_DIR; return the
    manifest. BackupError (nothing changed) for a damaged archive or a non-empty target."""
    with tarfile.open(path, "r:") as tar:
        manifest = read_manifest(tar)
        if manifest["dialect"] != _dialect():
            raise BackupError(_l("The archive is a %(archive)s backup; this database is "
                                 "%(target)s.", archive=manifest["dialect"],
                                 target=db.engine.dialect.name))
        members = verify_archive(tar, manifest)
        tables = _check_empty(force, path)
        with tempfile.TemporaryDirectory() as work:
            dump_path = os.path.join(work, "dump")
            with tar.extractfile(members[manifest["database"]]) as src, \
                    open(dump_path, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            if force:
                _wipe(tables)
            if manifest["dialect"] == "sqlite":
                _load_sqlite(dump_path)
            else:
                _load_postgresql(dump_path, manifest)
        _extract_files(tar, members, manifest)
    problems = check_restored(manifest)
    if problems:
        raise BackupError(_l("The restored data differ from the manifest: %(list)s",
                             list="; ".join(problems[:20])))
    return manifest


# --- commands -----------------------------------------------------------------------------


def add_commands(group):
    """Add ``backup`` and ``restore`` to the ``flask kaosheng`` group."""
    @group.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Write the database, the stored files and a manifest to one archive at PATH."""
        try:
            manifest = write_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        log_event("backup", "database", {"path": os.path.abspath(path),
                                         "tables": len(manifest["tables"]),
                                         "files": len(manifest["files"])})
        click.echo(f"{path}: {sum(manifest['tables'].values())} rows in "
                   f"{len(manifest['tables'])} tables, "
                   f"{len(manifest['files']) - 1 + len(manifest['stored'])} files")

    @group.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True,
                  help="empty a database and file store that are not empty first")
    def restore_command(path, force):
        """Load the archive at PATH into an empty database and file store, then verify it."""
        try:
            manifest = restore_backup(path, force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        log_event("restore", "database", {"path": os.path.abspath(path),
                                          "created_at": manifest["created_at"]})
        click.echo(f"restored {path} (made {manifest['created_at']}): counts and hashes "
                   "verified")
