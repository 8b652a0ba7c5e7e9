"""Backup and restore round trip: ``flask kaosheng backup``, then ``restore`` into a second,
freshly created database and an empty file store (SQLite, or PostgreSQL when
KAOSHENG_TEST_PG is set), compared by row counts, file hashes and pages after logging in."""
import contextlib
import hashlib
import io
import json
import os
import tarfile

import pytest
from sqlalchemy import inspect, select

from app import create_app
from app.backup import BACKUP_SUFFIX, table_counts
from app.candidates.models import Candidate
from app.extensions import db
from app.jurisdiction import Node
from app.photos import storage
from app.photos.models import StoredFile
from conftest import Client, _pg_database, close_connections, make_config

MARK = "欧阳·堃备份"


def _prepare(app):
    """A record and stored files the restore must bring back."""
    cand = db.session.execute(select(Candidate).join(Node).where(Node.code == "41010201")
                              .order_by(Candidate.id)).scalars().first()
    cand.name = MARK
    data = b"\xff\xd8\xff\xe0" + b"kaosheng backup test" * 50
    sha = storage.store(data)
    db.session.add(StoredFile(sha256=sha, size=len(data), content_type="image/jpeg"))
    upload = os.path.join(storage.import_dir(), "pending.zip")
    with open(upload, "wb") as fh:
        fh.write(b"PK\x05\x06" + b"\0" * 18)


@pytest.fixture(scope="module")
def source(module_app):
    with module_app("backup", _prepare) as app:
        yield app


@contextlib.contextmanager
def empty_app(tmp_path):
    """An app on a database that was just created (no tables) and an empty file store."""
    drop = None
    if os.environ.get("KAOSHENG_TEST_PG"):
        url, drop = _pg_database()
    else:
        url = "sqlite:///" + str(tmp_path / "restored.db")
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    try:
        yield app
    finally:
        close_connections(app)
        if drop:
            drop()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["kaosheng", *args])


def _hashes(root):
    """{path: SHA-256} of the stored files a backup holds (earlier backups kept in the store,
    as the playbook's, are not backed up again)."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(BACKUP_SUFFIX):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _counts(app):
    with app.app_context(), db.engine.connect() as conn:
        return table_counts(conn)


def _manifest(path):
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _backup(source, tmp_path):
    path = tmp_path / "kaosheng.tar"
    before = _counts(source)
    result = _cli(source, "backup", str(path))
    assert result.exit_code == 0, result.output
    return path, before


def test_round_trip_into_a_fresh_database(source, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("roundtrip")
    path, before = _backup(source, tmp_path)
    manifest = _manifest(path)
    assert manifest["tables"] == before
    assert manifest["tables"]["ks_candidate"] > 0 and "alembic_version" in manifest["tables"]
    store = source.config["UPLOAD_DIR"]
    assert {n.removeprefix("files/") for n in manifest["files"] if n.startswith("files/")} == \
        set(_hashes(store))

    with empty_app(tmp_path_factory.mktemp("target")) as target:
        result = _cli(target, "restore", str(path))
        assert result.exit_code == 0, result.output
        after = _counts(target)
        # The restore itself is audited: one row more than the archive holds.
        assert after.pop("ks_audit_log") == before.pop("ks_audit_log") + 1
        assert after == before
        assert _hashes(target.config["UPLOAD_DIR"]) == _hashes(store)

        client = Client(target)
        resp = client.login("zy_admin")
        assert resp.status_code == 302 and "/login" not in resp.location
        page = client.get("/candidateview/list/?_flt_0_name=" + MARK)
        assert page.status_code == 200 and MARK in page.get_data(as_text=True)

        # A second restore over the now non-empty database is refused, and changes nothing.
        again = _cli(target, "restore", str(path))
        assert again.exit_code != 0 and "数据库不为空" in again.output
        assert _counts(target)["ks_candidate"] == after["ks_candidate"]


def test_a_damaged_archive_is_refused_before_anything_is_loaded(source, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("damaged")
    path, _before = _backup(source, tmp_path)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(path) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/") and member.name.endswith(".jpg"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    with empty_app(tmp_path_factory.mktemp("target")) as target:
        result = _cli(target, "restore", str(damaged))
        assert result.exit_code != 0 and "SHA-256" in result.output
        with target.app_context(), db.engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        assert _hashes(target.config["UPLOAD_DIR"]) == {}


def test_playbook_backup_step_backs_up_the_province(source, monkeypatch):
    """"及时进行数据备份" of a province-wide incident writes the same full backup; a county's
    incident gets its XLSX snapshot only."""
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam
    from app.playbooks.models import IncidentSnapshot
    from helpers import incident_post, open_incident

    monkeypatch.setitem(source.config, "REDIS_URL", "")  # the job runs in this process
    with source.app_context():
        exam = db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.active.is_(True)).order_by(Exam.year.desc())).scalar()
        nodes = dict(db.session.execute(select(Node.code, Node.id)).all())

    class Ids:
        def node(self, code):
            return nodes[code]

    client = Client(source)
    client.login("henan_admin")
    snapshots = {}
    for region in ("410000", "410102"):
        inc = open_incident(client, Ids(), "attack", exam, region=region, summary="攻击")
        assert inc is not None, region
        assert incident_post(client, inc, "snapshot", step="attack.2", note="备份").status_code == 302
        with source.app_context():
            snapshots[region] = db.session.execute(select(IncidentSnapshot).where(
                IncidentSnapshot.incident_id == inc)).scalar_one()
    province = snapshots["410000"]
    assert province.status == "done" and ".backup.tar" in province.message
    name = province.message.split("incident-")[1].split(".backup.tar")[0]
    archive = os.path.join(os.path.dirname(province.result_path), f"incident-{name}.backup.tar")
    manifest = _manifest(archive)
    assert manifest["tables"]["ks_candidate"] == _counts(source)["ks_candidate"]
    # Earlier backups kept in the store are not backed up again.
    assert not any(n.endswith(".backup.tar") for n in manifest["files"])
    county = snapshots["410102"]
    assert county.status == "done" and county.message is None
