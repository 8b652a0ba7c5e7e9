"""The database file store (FILE_STORE="postgresql", app/filestore.py) through HTTP: pictures,
the uploads jobs wait for and the files jobs leave for a later download all live in the
database (SQLite here, PostgreSQL with KAOSHENG_TEST_PG), nothing on the server's disk; files
larger than one chunk read back byte for byte, also seeking; and a backup carries them."""
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import zipfile

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app import filestore
from app.candidates.models import Candidate, ImportBatch
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.exchange.models import ExchangeExport
from app.extensions import db
from app.filestore import CHUNK, Blob, BlobChunk
from app.photos.models import CandidatePhoto, PhotoImport
from app.playbooks.models import IncidentSnapshot
from app.printing.models import PrintBatch
from conftest import Client, _pg_database, close_connections, make_config
from factories import make_candidate
from helpers import (csv_bytes, exam_id, idn, incident_post, open_incident, run_import,
                     upload_photo)
from photo_faces import encode, portrait


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("filestore_db") as app:
        app.config["FILE_STORE"] = filestore.DATABASE
        yield app


def local_files(app):
    """Files on this server's disk under UPLOAD_DIR, but for the job leases (per process)."""
    root = app.config["UPLOAD_DIR"]
    return sorted(os.path.relpath(os.path.join(folder, name), root)
                  for folder, _dirs, names in os.walk(root) for name in names
                  if "job-leases" not in folder)


def blob_keys(app, prefix=""):
    with app.app_context():
        return set(db.session.execute(select(Blob.key).where(
            Blob.key.startswith(prefix))).scalars())


def candidate(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).id_number


def test_photo_is_stored_in_the_database_and_served_from_it(app, login):
    staff = login("zy_school")
    cid = make_candidate(app)
    data = encode(portrait())
    staff.refresh_token(f"/photos/candidate/{cid}")
    assert upload_photo(staff, cid, data, as_json=True).status_code == 200
    with app.app_context():
        sha = db.session.execute(select(CandidatePhoto.file_sha256).where(
            CandidatePhoto.candidate_id == cid, CandidatePhoto.current.is_(True))).scalar_one()
    assert f"{sha[:2]}/{sha[2:4]}/{sha}.jpg" in blob_keys(app)
    served = staff.get(f"/photos/file/{cid}/photo")
    assert served.status_code == 200 and hashlib.sha256(served.data).hexdigest() == sha
    assert local_files(app) == []
    # The same bytes again: one stored file, not two.
    staff.refresh_token(f"/photos/candidate/{cid}")
    assert upload_photo(staff, cid, data, as_json=True).status_code == 200
    assert len([k for k in blob_keys(app) if sha in k]) == 1


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name, data, zipfile.ZIP_STORED)
    return buf.getvalue()


def test_photo_zip_waits_in_the_database_and_is_read_across_chunks(app, login, run_jobs):
    staff = login("zy_school")
    cids = [make_candidate(app) for _ in range(2)]
    good = encode(portrait())
    # 1.5 MB of padding first: the second picture and the ZIP's directory lie in chunk 2.
    archive = _zip([(f"{candidate(app, cids[0])}.jpg", good),
                    ("padding.txt", os.urandom(CHUNK + CHUNK // 2)),
                    (f"{candidate(app, cids[1])}.jpg", good)])
    staff.refresh_token("/photos/import/")
    resp = staff.post("/photos/import/", {"exam": exam_id(app), "kind": "photo",
                                          "file": (io.BytesIO(archive), "photos.zip")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]
    run_jobs()
    status = staff.get(resp.location + "/status").get_json()
    assert status["status"] == "done", status
    with app.app_context():
        imp = db.session.get(PhotoImport, int(resp.location.rstrip("/").rsplit("/", 1)[1]))
        assert imp.stored_path.startswith("imports/") and imp.stored_path.endswith(".zip")
        assert sorted(imp.report["matched"]) == sorted(
            f"{candidate(app, c)}.jpg" for c in cids)
        stored = imp.stored_path
    # The ZIP has served: gone from the store (other tests' uploads may wait there); nothing
    # was left on the disk meanwhile.
    assert stored not in blob_keys(app, "imports/")
    assert local_files(app) == []


def test_registry_upload_waits_in_the_database(app, login):
    school = login("zy_school")
    number = idn(9, 301)
    batch_id, status = run_import(school, app, csv_bytes(
        [["库存一", number, "男", "41010201", "汉", "13800009999", ""]]))
    assert status["status"] == "done" and status["created"] == 1, status
    with app.app_context():
        stored = db.session.get(ImportBatch, batch_id).stored_path
    assert stored in blob_keys(app, "imports/") and not os.path.isabs(stored)
    page = school.get(f"/registry-import/{batch_id}")
    assert page.status_code == 200 and "库存一" not in page.get_data(as_text=True)  # no rejects
    assert local_files(app) == []


def test_print_batch_pdf_is_downloaded_from_the_database_and_purged(app, login, run_jobs):
    school = login("zy_school")
    cid = make_candidate(app)
    with app.app_context():
        exam = db.session.get(Candidate, cid).exam_id
    school.refresh_token("/print/batch")
    resp = school.post("/print/batch", {"kind": "physical", "exam": exam, "ids": str(cid)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = school.get(f"/print/batch/{batch_id}/status").get_json()
    assert status["status"] == "done" and status["result_url"], status
    pdf = school.get(status["result_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.content_length == len(pdf.data)
    # The parts were merged and removed; only the batch's PDF stays.
    assert blob_keys(app, "prints/") == {f"prints/batch-{batch_id}.pdf"}
    assert local_files(app) == []
    with app.app_context():
        db.session.execute(update(PrintBatch).where(PrintBatch.id == batch_id).values(
            finished_on=dt.datetime.now() - dt.timedelta(days=31)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["kaosheng", "purge-prints", "--days", "30"])
    assert result.exit_code == 0 and "deleted 1 file(s)" in result.output, result.output
    assert blob_keys(app, "prints/") == set()
    assert school.get(f"/print/batch/{batch_id}/download").status_code == 404


def test_exchange_export_and_import_go_through_the_database(app, login, run_jobs):
    admin = login("henan_admin")
    admin.refresh_token("/exchange/")
    resp = admin.post("/exchange/export", {"exam": exam_id(app)})
    assert resp.status_code == 302
    run_jobs()
    export_id = int(resp.location.rstrip("/").split("/")[-1])
    assert admin.get(f"/exchange/export/{export_id}/status").get_json()["status"] == "done"
    package = admin.get(f"/exchange/export/{export_id}/download")
    assert package.status_code == 200
    with app.app_context():
        export = db.session.get(ExchangeExport, export_id)
        assert export.result_path == f"exchange/export-{export_id}.zip"
        assert hashlib.sha256(package.data).hexdigest() == export.sha256
        target = Exam(kind=ZHONGZHAO, year=2099, name="文件库导入", active=True)
        db.session.add(target)
        db.session.commit()
        target_id = target.id
    assert zipfile.ZipFile(io.BytesIO(package.data)).read("manifest.json")
    admin.refresh_token("/exchange/")
    resp = admin.post("/exchange/import", {"exam": target_id,
                                           "file": (io.BytesIO(package.data), "p.zip")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]
    run_jobs()
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    status = admin.get(f"/exchange/import/{batch_id}/status").get_json()
    assert status["status"] == "done", status
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).stored_path in blob_keys(app, "imports/")
    assert local_files(app) == []


def test_incident_snapshot_is_downloaded_from_the_database(app, login, ids, run_jobs):
    admin = login("henan_admin")
    exam = exam_id(app)
    inc = open_incident(admin, ids, "attack", exam, region="410102", summary="文件库")
    assert incident_post(admin, inc, "snapshot", step="attack.2", note="备份").status_code == 302
    run_jobs()
    with app.app_context():
        snap = db.session.execute(select(IncidentSnapshot).where(
            IncidentSnapshot.incident_id == inc)).scalar_one()
        assert snap.status == "done" and snap.result_path.startswith("snapshots/"), snap.message
        snap_id = snap.id
    resp = admin.get(f"/incidents/snapshot/{snap_id}.xlsx")
    assert resp.status_code == 200 and resp.data.startswith(b"PK")
    assert local_files(app) == []


def test_a_large_file_reads_back_in_chunks_also_when_seeking(app):
    data = os.urandom(2 * CHUNK + 12345)
    with app.app_context():
        key = filestore.put("imports/large.bin", io.BytesIO(data))
        db.session.commit()
        blob = db.session.execute(select(Blob).where(Blob.key == key)).scalar_one()
        assert (blob.size, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        blob_id = blob.id
        assert db.session.scalar(select(func.count()).select_from(BlobChunk).where(
            BlobChunk.blob_id == blob_id)) == 3
        with filestore.open_file(key) as fh:
            assert fh.read() == data
            fh.seek(CHUNK - 10)
            assert fh.read(20) == data[CHUNK - 10:CHUNK + 10]
            fh.seek(-5, io.SEEK_END)
            assert fh.read() == data[-5:] and fh.tell() == len(data)
        # Replacing keeps one file under the key; deleting removes its chunks too.
        filestore.put(key, b"short")
        db.session.commit()
        assert filestore.read(key) == b"short"
        filestore.delete(key)
        db.session.commit()
        with pytest.raises(FileNotFoundError):
            filestore.open_file(key)
        assert db.session.scalar(select(func.count()).select_from(BlobChunk).where(
            BlobChunk.blob_id == blob_id)) == 0
        with pytest.raises(ValueError):
            filestore.put("../outside", b"x")


def test_an_unknown_store_is_refused(app):
    with app.app_context():
        app.config["FILE_STORE"] = "s3"
        try:
            with pytest.raises(ValueError, match="FILE_STORE"):
                filestore.put("imports/x.bin", b"x")
        finally:
            app.config["FILE_STORE"] = filestore.DATABASE


# --- backup --------------------------------------------------------------------------------


@contextlib.contextmanager
def empty_app(tmp_path):
    """An app with the database store on a just-created database (no tables)."""
    drop = None
    if os.environ.get("KAOSHENG_TEST_PG"):
        url, drop = _pg_database()
    else:
        url = "sqlite:///" + str(tmp_path / "restored.db")
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url,
                                 FILE_STORE=filestore.DATABASE))
    try:
        yield app
    finally:
        close_connections(app)
        if drop:
            drop()


def test_backup_carries_the_database_store_and_restore_checks_it(app, tmp_path_factory):
    data = encode(portrait())
    with app.app_context():
        from app.photos import storage

        sha = storage.store(data)
        db.session.commit()
        stored = dict(db.session.execute(select(Blob.key, Blob.sha256)).all())
    path = tmp_path_factory.mktemp("dbstore") / "backup.tar"
    result = app.test_cli_runner().invoke(args=["kaosheng", "backup", str(path)])
    assert result.exit_code == 0, result.output
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["stored"] == stored and f"{sha[:2]}/{sha[2:4]}/{sha}.jpg" in stored
    with empty_app(tmp_path_factory.mktemp("dbtarget")) as target:
        result = target.test_cli_runner().invoke(args=["kaosheng", "restore", str(path)])
        assert result.exit_code == 0, result.output
        with target.app_context():
            assert storage.open_bytes(sha) == data
            # A chunk changed after the restore is found by the same check (the restore's own
            # audit row aside, every count and hash matched).
            from app.backup import check_restored

            assert [p for p in check_restored(manifest) if "ks_audit_log" not in p] == []
            blob_id = db.session.execute(select(Blob.id).where(Blob.key.contains(sha))).scalar()
            db.session.execute(update(BlobChunk).where(BlobChunk.blob_id == blob_id).values(
                data=b"changed"))
            db.session.commit()
            assert any(sha in problem for problem in check_restored(manifest))
        client = Client(target)
        assert client.login("zy_admin").status_code == 302


def test_an_unknown_file_store_is_refused_at_start():
    from app import ConfigError, create_app

    with pytest.raises(ConfigError, match="FILE_STORE"):
        create_app({"FILE_STORE": "s3"})
