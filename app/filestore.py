"""The file store (文件存储): every file a request or a job needs, in one place all app servers
share. ``FILE_STORE`` chooses where:

- ``"filesystem"`` (default): files under ``UPLOAD_DIR``, one server's directory (or a shared
  mount). A key is the path below it; the reference recorded in the database (an import's
  upload, a job's result) is the absolute path, exactly as before this module existed.
- ``"postgresql"``: the database holds them (``ks_blob``, and the bytes in ``ks_blob_chunk``
  rows of at most :data:`CHUNK` bytes), so every app server and worker reads what another
  wrote, and the database's replication and backup cover the files. The reference is the key.
  It runs on SQLite as well (the tests use it there).

Keys: ``<sha[:2]>/<sha[2:4]>/<sha>.<ext>`` for content-addressed pictures
(``app.photos.storage``), ``imports/…``, ``prints/…``, ``exchange/…`` and ``snapshots/…`` for
the files of background jobs. Writes to the database go through the caller's session and are
committed with the record naming them, so a file and its record appear (or roll back)
together; reads use connections of their own, so a download keeps streaming after its
request's session is gone. Large files are never held whole in memory: they are written and
read a chunk at a time (a ZIP reader seeks in them, a chunk at a time).
"""
import contextlib
import datetime as dt
import hashlib
import io
import os
import posixpath
import uuid

from flask import current_app, send_file
from flask_appbuilder import Model
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

FILESYSTEM, DATABASE = "filesystem", "postgresql"
BACKENDS = (FILESYSTEM, DATABASE)
#: Bytes per chunk row (and per read and write of a stream): a photo takes one row.
CHUNK = 1 << 20
#: the folder of uploads waiting for their background job (registry, photo ZIP, exchange)
IMPORTS = "imports"


class Blob(Model):
    """One stored file of the database backend; its bytes are its chunks, in ``seq`` order."""

    __tablename__ = "ks_blob"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class BlobChunk(Model):
    __tablename__ = "ks_blob_chunk"

    blob_id: Mapped[int] = mapped_column(ForeignKey("ks_blob.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


def backend():
    """The configured backend (ValueError for an unknown FILE_STORE: refused at start)."""
    name = current_app.config.get("FILE_STORE") or FILESYSTEM
    if name not in BACKENDS:
        raise ValueError(f"FILE_STORE must be one of {', '.join(BACKENDS)}, not {name!r}")
    return DatabaseStore() if name == DATABASE else FileSystemStore(
        current_app.config["UPLOAD_DIR"])


def _blocks(source):
    """``source`` (bytes or a binary file) as blocks of at most CHUNK bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start:start + CHUNK])
        return
    while block := source.read(CHUNK):
        yield block


def _check_key(key):
    """Keys are relative paths made by the code, never by users; refuse anything else."""
    parts = key.split("/") if isinstance(key, str) else [""]
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a file-store key: {key!r}")
    return key


# --- filesystem --------------------------------------------------------------------------


class FileSystemStore:
    """Files under ``root`` (UPLOAD_DIR); writes go to a temp file then ``os.replace``."""

    def __init__(self, root):
        self.root = root

    def ref(self, key):
        return os.path.join(self.root, *_check_key(key).split("/"))

    def _path(self, ref):
        return ref if os.path.isabs(ref) else self.ref(ref)

    def put(self, key, source, replace=True):
        target = self.ref(key)
        if not replace and os.path.exists(target):
            return target
        with self.staged(key) as stage:
            with open(stage.path, "wb") as fh:
                for block in _blocks(source):
                    fh.write(block)
                fh.flush()
                os.fsync(fh.fileno())
        return target

    @contextlib.contextmanager
    def staged(self, key):
        stage = Staged(self.ref(key) + f".{uuid.uuid4().hex}.tmp", self.ref(key))
        os.makedirs(os.path.dirname(stage.path), exist_ok=True)
        try:
            yield stage
            if stage.keep:
                os.replace(stage.path, stage.ref)
        finally:
            stage.remove()

    def open(self, ref):
        return open(self._path(ref), "rb")

    def read(self, ref):
        with self.open(ref) as fh:
            return fh.read()

    def delete(self, ref):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(ref))

    def within(self, ref, folder):
        path = os.path.realpath(self._path(ref))
        return os.path.dirname(path) == os.path.realpath(self.ref(folder))

    def size(self, ref):
        return os.path.getsize(self._path(ref))

    def entries(self, folder):
        """[(ref, size, modified)] of the files in ``folder``."""
        base = self.ref(folder)
        out = []
        for name in sorted(os.listdir(base)) if os.path.isdir(base) else ():
            path = os.path.join(base, name)
            with contextlib.suppress(FileNotFoundError):
                stat = os.stat(path)
                out.append((path, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime)))
        return out


# --- database ----------------------------------------------------------------------------


class DatabaseStore:
    """Files in ``ks_blob`` / ``ks_blob_chunk`` of the app's database (any dialect)."""

    def ref(self, key):
        return _check_key(key)

    def put(self, key, source, replace=True):
        """Store ``source`` under ``key`` in the session's transaction (the caller commits);
        with ``replace=False`` an existing file is kept (content-addressed keys: two servers
        storing the same picture at once both succeed, one row results)."""
        _check_key(key)
        if replace:
            self.delete(key)
        blob_id = self._claim(key)
        if blob_id is None:
            return key
        digest, size = hashlib.sha256(), 0
        for seq, block in enumerate(_blocks(source)):
            digest.update(block)
            size += len(block)
            db.session.execute(BlobChunk.__table__.insert().values(
                blob_id=blob_id, seq=seq, data=block))
        db.session.execute(Blob.__table__.update().where(Blob.id == blob_id).values(
            size=size, sha256=digest.hexdigest()))
        return key

    @staticmethod
    def _claim(key):
        """Insert the file's row; its id, or None when the key is taken (kept as it is)."""
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = (insert(Blob).values(key=key, size=0, sha256="", created_on=dt.datetime.now())
                .on_conflict_do_nothing(index_elements=["key"]).returning(Blob.id))
        return db.session.execute(stmt).scalar()

    @contextlib.contextmanager
    def staged(self, key):
        """Written locally first (under UPLOAD_DIR, removed afterwards), then copied in."""
        local = FileSystemStore(current_app.config["UPLOAD_DIR"]).ref(key)
        stage = Staged(local + f".{uuid.uuid4().hex}.tmp", self.ref(key))
        os.makedirs(os.path.dirname(stage.path), exist_ok=True)
        try:
            yield stage
            if stage.keep:
                with open(stage.path, "rb") as fh:
                    self.put(key, fh)
        finally:
            stage.remove()

    def _row(self, ref):
        return db.session.execute(select(Blob.id, Blob.size).where(Blob.key == ref)).first()

    def open(self, ref):
        row = self._row(ref)
        if row is None:
            raise FileNotFoundError(ref)
        return io.BufferedReader(BlobReader(db.engine, row.id, row.size), CHUNK)

    def read(self, ref):
        """In one query on the session (so a file stored in this transaction reads too)."""
        chunks = db.session.execute(
            select(BlobChunk.data).join(Blob, Blob.id == BlobChunk.blob_id)
            .where(Blob.key == ref).order_by(BlobChunk.seq)).scalars().all()
        if not chunks and self._row(ref) is None:
            raise FileNotFoundError(ref)
        return b"".join(chunks)

    def delete(self, ref):
        """Remove the file in the session's transaction (the caller commits)."""
        ids = select(Blob.id).where(Blob.key == ref).scalar_subquery()
        db.session.execute(BlobChunk.__table__.delete().where(BlobChunk.blob_id == ids))
        db.session.execute(Blob.__table__.delete().where(Blob.key == ref))

    def within(self, ref, folder):
        return posixpath.dirname(ref) == folder

    def size(self, ref):
        row = self._row(ref)
        if row is None:
            raise FileNotFoundError(ref)
        return row.size

    def entries(self, folder):
        rows = db.session.execute(select(Blob.key, Blob.size, Blob.created_on).where(
            Blob.key.startswith(folder + "/", autoescape=True)).order_by(Blob.key)).all()
        return [tuple(r) for r in rows if posixpath.dirname(r.key) == folder]


class BlobReader(io.RawIOBase):
    """A seekable read-only file over one blob's chunk rows, one chunk cached. Each chunk is
    read on a connection of its own (not the request's session), so a response can stream
    after its request ended and a job may commit or roll back while reading."""

    def __init__(self, engine, blob_id, size):
        super().__init__()
        self.engine, self.blob_id, self.length = engine, blob_id, size
        self.pos, self.cached = 0, (None, b"")

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.pos = base + offset
        return self.pos

    def _chunk(self, seq):
        if self.cached[0] != seq:
            with self.engine.connect() as conn:
                data = conn.execute(select(BlobChunk.data).where(
                    BlobChunk.blob_id == self.blob_id, BlobChunk.seq == seq)).scalar()
            if data is None:
                raise OSError(f"stored file {self.blob_id} lost its chunk {seq}")
            self.cached = (seq, bytes(data))
        return self.cached[1]

    def readinto(self, buffer):
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self.pos < self.length:
            seq, offset = divmod(self.pos, CHUNK)
            part = self._chunk(seq)[offset:offset + len(view) - filled]
            if not part:
                raise OSError(f"stored file {self.blob_id} is shorter than recorded")
            view[filled:filled + len(part)] = part
            filled += len(part)
            self.pos += len(part)
        return filled


# --- what callers use ----------------------------------------------------------------------


class Staged:
    """A local path to write a file at (``path``); stored as ``ref`` when the block ends, unless
    :meth:`abandon` was called or the block raised."""

    def __init__(self, path, ref):
        self.path, self.ref, self.keep = path, ref, True

    def abandon(self):
        self.keep = False

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def ref(key):
    """What the database records for the file ``key`` once stored (see the module doc)."""
    return backend().ref(key)


def put(key, source, replace=True):
    """Store ``source`` (bytes or a binary file, read in chunks) as ``key``; its reference.
    On the database backend the write joins the session's transaction: commit it."""
    return backend().put(key, source, replace)


def staged(key):
    """``with staged(key) as stage:`` write the file at ``stage.path``; afterwards it is
    stored as ``stage.ref`` (on the database backend, commit)."""
    return backend().staged(key)


def open_file(reference):
    """The stored file as a seekable binary file (close it); FileNotFoundError when gone."""
    return backend().open(reference)


def read(reference):
    """The whole stored file: for small ones only (a picture, an upload bounded in size)."""
    return backend().read(reference)


def delete(reference):
    """Remove a stored file (gone already is fine; on the database backend, commit)."""
    backend().delete(reference)


def entries(folder):
    """[(reference, size, modified)] of the files directly in ``folder`` (e.g. "prints")."""
    return backend().entries(folder)


def send(reference, folder, mimetype, download_name):
    """The stored file as a download, streamed a chunk at a time; None when ``reference`` is
    not a file of ``folder`` (a value no job of that kind writes) or the file is gone."""
    store = backend()
    if not reference or not store.within(reference, folder):
        return None
    try:
        size = store.size(reference)
        fh = store.open(reference)
    except FileNotFoundError:
        return None
    response = send_file(fh, mimetype=mimetype, as_attachment=True, download_name=download_name)
    response.content_length = size
    return response

