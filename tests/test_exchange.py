"""National DBF exchange through HTTP: the export of accepted records of one's subtree as GBK
Visual FoxPro tables read back with an independent reader (dbfread), the re-import into an
empty exam, and refusals of broken packages."""
import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile

import dbfread
import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import GAOKAO
from app.exams.models import Exam
from app.exchange import dbf_format as fmt
from app.exchange.models import ExchangeExport
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import PHOTO, CandidatePhoto
from app.photos.service import accept_photo
from photo_faces import portrait

# Names a GBK table must keep intact: a middle dot (少数民族 transliterations) and a
# character outside GB2312 but inside GBK (堃).
DOT_NAME, RARE_NAME = "阿卜杜·热合曼", "张堃"
COMPARED = [(name, key) for name, _spec, _zh, key in fmt.T_BMK if key is not None]


def _jpeg(image):
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, dpi=(300, 300))
    return buf.getvalue()


def _exam(year):
    exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == year)
                              ).scalar_one_or_none()
    if exam is None:
        exam = Exam(kind=GAOKAO, year=year, name=f"{year}年交换测试", active=True)
        db.session.add(exam)
        db.session.flush()
    return exam


def _candidate(exam, school, seq, name, state="city_approved", number=True, **extra):
    birth = dt.date(2007, 1, 1) + dt.timedelta(days=seq)
    idn = make_id_number("410102", birth, 100 + seq)
    values = dict(
        exam=exam, node=school, name=name, gender="1" if (100 + seq) % 2 else "2",
        birth_date=birth, id_number=idn, ethnicity="03", political_status="03",
        category="01", phone=f"1390000{seq:04d}", address=f"郑州市中原区建设路{seq}号院·东",
        postcode="450000", hukou="410102", student_number=f"G{seq:012d}",
        candidate_number=f"2641010{exam.year % 100:02d}{seq:05d}" if number else None,
        class_name="高三（2）班", subject_track="3", foreign_language="1",
        graduation_school="郑州市第五十七中学", state=state)
    values.update(extra)
    cand = Candidate(**values)
    db.session.add(cand)
    return cand


@pytest.fixture(scope="module")
def source(app):
    """An exam of its own with accepted and other records in 中原区 and 二七区."""
    year = 2090 + uuid.uuid4().int % 9
    with app.app_context():
        exam = _exam(year)
        nodes = {n.code: n for n in db.session.execute(select(Node)).scalars()}
        zy1, zy2, eq = nodes["41010201"], nodes["41010202"], nodes["41010301"]
        accepted = [
            _candidate(exam, zy1, 1, DOT_NAME),
            _candidate(exam, zy1, 2, RARE_NAME),
            _candidate(exam, zy2, 3, "李明", graduation_school="郑州外国语学校", ethnicity="01"),
        ]
        county_only = _candidate(exam, zy2, 4, "王芳", state="county_approved")
        draft = _candidate(exam, zy1, 5, "赵雷", state="draft")
        unnumbered = _candidate(exam, zy1, 6, "孙丽", number=False)
        not_gbk = _candidate(exam, zy1, 7, "王\U0002020C")  # 𠈌: CJK Extension B
        sibling = _candidate(exam, eq, 8, "周杰")
        # The photo is taken before the review (an approved record's data is frozen).
        accepted[0].state = "draft"
        db.session.flush()
        photo, failures = accept_photo(accepted[0], _jpeg(portrait(900, 1200)), PHOTO, None)
        assert failures == [], failures
        accepted[0].state = "city_approved"
        db.session.commit()
        # Returned, not yielded inside the context: requests would share its ``g`` (the user).
        return {"exam_id": exam.id, "year": year,
                "accepted": [c.id for c in accepted], "county_only": county_only.id,
                "draft": draft.id, "unnumbered": unnumbered.id, "not_gbk": not_gbk.id,
                "sibling": sibling.id, "photo_sha": photo.file_sha256,
                "photo_owner": accepted[0].candidate_number}


def _export(client, exam_id, accepted=None):
    client.refresh_token("/exchange/")
    data = {"exam": exam_id}
    if accepted:
        data["accepted"] = accepted
    resp = client.post("/exchange/export", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    client.run_jobs()
    export_id = int(resp.location.rstrip("/").split("/")[-1])
    status = client.get(f"/exchange/export/{export_id}/status").get_json()
    assert status["status"] == "done", status
    return export_id


def _download(client, export_id):
    resp = client.get(f"/exchange/export/{export_id}/download")
    assert resp.status_code == 200
    return resp.data


def _read_table(archive, name, tmp_path):
    path = tmp_path / name
    path.write_bytes(archive.read(name))
    table = dbfread.DBF(str(path), encoding="gbk", char_decode_errors="strict")
    return table, list(table)


def _expected(app, candidate_ids):
    """{KSH: {DBF field: value}} straight from the database."""
    with app.app_context():
        rows = db.session.execute(select(Candidate).where(Candidate.id.in_(candidate_ids))
                                  ).scalars().all()
        out = {}
        for cand in rows:
            values = {}
            for name, key in COMPARED:
                value = cand.node.code if key == "school_code" else getattr(cand, key)
                # dbfread gives an empty date as None and an empty text as "".
                values[name] = "" if value is None and name not in fmt.DATE_FIELDS else value
            out[cand.candidate_number] = values
        return out


def test_export_is_gbk_dbf_matching_the_database(app, login, source, tmp_path):
    client = login("zy_admin")
    export_id = _export(client, source["exam_id"])
    archive = zipfile.ZipFile(io.BytesIO(_download(client, export_id)))
    table, records = _read_table(archive, "T_BMK.DBF", tmp_path)
    # The header's code page mark says GBK (dbfread reads it as cp936).
    assert dbfread.DBF(str(tmp_path / "T_BMK.DBF")).encoding == "cp936"
    assert [f.name for f in table.fields] == [name for name, *_rest in fmt.T_BMK]
    # Only the accepted records of 中原区: not the county-approved, the draft, 二七区's,
    # nor the two that cannot go out (no 考生号; a character GBK lacks).
    expected = _expected(app, source["accepted"])
    got = {r["KSH"]: r for r in records}
    assert set(got) == set(expected)
    for number, values in expected.items():
        for name, value in values.items():
            assert got[number][name] == value, (number, name)
        assert got[number]["ZJLXDM"] == "1"
    assert {r["XM"] for r in records} >= {DOT_NAME, RARE_NAME}
    # The raw bytes are GBK: the middle dot is A1A4 and 堃 is 88D2.
    raw = archive.read("T_BMK.DBF")
    assert DOT_NAME.encode("gbk") in raw and RARE_NAME.encode("gbk") in raw
    _table, ethnic = _read_table(archive, "TD_MZDM.DBF", tmp_path)
    assert {"DM": "03", "MC": "回族"} in [dict(r) for r in ethnic]

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tables"]["T_BMK"] == len(expected) == manifest["files"]["T_BMK.DBF"]["rows"]
    for name in archive.namelist():
        if name != "manifest.json":
            assert manifest["files"][name]["sha256"] == hashlib.sha256(
                archive.read(name)).hexdigest()
    photo = f"photos/{source['photo_owner']}.jpg"
    assert hashlib.sha256(archive.read(photo)).hexdigest() == source["photo_sha"]

    with app.app_context():
        export = db.session.get(ExchangeExport, export_id)
        reasons = " ".join(r[2] for r in export.skipped)
        assert len(export.skipped) == 2 and "GBK" in reasons and "考生号" in reasons
        logged = db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == "ks_exchange_export", AuditLog.row_id == export_id)
        ).scalars().all()
        assert sorted(logged) == ["download", "export"]


def test_accepted_is_a_parameter(app, login, source, tmp_path):
    client = login("zy_admin")
    export_id = _export(client, source["exam_id"], accepted="county")
    archive = zipfile.ZipFile(io.BytesIO(_download(client, export_id)))
    _table, records = _read_table(archive, "T_BMK.DBF", tmp_path)
    numbers = set(_expected(app, source["accepted"] + [source["county_only"]]))
    assert {r["KSH"] for r in records} == numbers


def test_export_of_another_county_is_404(app, login, source):
    export_id = _export(login("zy_admin"), source["exam_id"])
    other = login("eq_admin")
    for url in (f"/exchange/export/{export_id}", f"/exchange/export/{export_id}/download",
                f"/exchange/export/{export_id}/status"):
        assert other.get(url).status_code == 404
    # The city above sees it.
    assert login("zz_admin").get(f"/exchange/export/{export_id}/download").status_code == 200


def _upload(client, data, exam_id, name="package.zip"):
    client.refresh_token("/exchange/")
    return client.post("/exchange/import", {"exam": exam_id, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_reimport_into_an_empty_exam_creates_the_same_records(app, login, source):
    client = login("henan_admin")
    package = _download(client, _export(client, source["exam_id"]))
    with app.app_context():
        target = _exam(source["year"] + 1000).id
        db.session.commit()
    resp = _upload(client, package, target)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    client.run_jobs()
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    status = client.get(f"/exchange/import/{batch_id}/status").get_json()
    assert status["status"] == "done", status
    # The province exports every accepted record, 二七区's too.
    originals = source["accepted"] + [source["sibling"]]
    report = client.get(f"/exchange/import/{batch_id}/errors.csv").get_data(as_text=True)
    assert (status["created"], status["rejected"]) == (len(originals), 0), report
    with app.app_context():
        fields = [key for _name, key in COMPARED if key != "school_code"] + ["node_id"]
        before = {c.id_number: c for c in db.session.execute(select(Candidate).where(
            Candidate.id.in_(originals))).scalars()}
        after = {c.id_number: c for c in db.session.execute(select(Candidate).where(
            Candidate.exam_id == target)).scalars()}
        assert set(after) == set(before)
        for idn, cand in after.items():
            for key in fields:
                assert getattr(cand, key) == getattr(before[idn], key), (idn, key)
        owner = after[db.session.get(Candidate, source["accepted"][0]).id_number]
        photo = db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == owner.id, CandidatePhoto.current.is_(True))
        ).scalar_one()
        assert photo.file_sha256 == source["photo_sha"]
    assert report.count("\n") == 1  # the header only


def _rezip(package, change):
    """The package with ``change(name, data)`` applied to each member (None drops it)."""
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out.getvalue()


def test_broken_packages_are_refused_with_a_message(app, login, source, tmp_path):
    client = login("henan_admin")
    package = _download(client, _export(client, source["exam_id"]))

    def tamper(name, data):
        return data.replace(RARE_NAME.encode("gbk"), "张坤".encode("gbk")) \
            if name == "T_BMK.DBF" else data

    def with_member(name, data):
        out = io.BytesIO(package)
        with zipfile.ZipFile(out, "a") as archive:
            archive.writestr(name, data)
        return out.getvalue()

    def without_field(tmp):
        from app.exchange.package import PackageWriter

        writer = PackageWriter(str(tmp / "nofield.zip"))
        writer.add_table("T_BMK.DBF", "XM C(80); BYXXDM C(20)", [("张三", "41010201")])
        writer.close({})
        return (tmp / "nofield.zip").read_bytes()

    cases = [
        (b"not a zip at all", "不是有效的 ZIP"),
        (with_member("../evil.txt", b"x"), "不应有的文件"),
        (without_field(tmp_path), "缺少字段 ZJHM"),
        (_rezip(package, lambda n, d: None if n == "manifest.json" else d), "manifest.json"),
        (_rezip(package, tamper), "SHA-256"),
        (_rezip(package, lambda n, d: None if n.startswith("photos/") else d), "不在 ZIP"),
    ]
    with app.app_context():
        count = db.session.query(Candidate).count()
    for data, words in cases:
        resp = _upload(client, data, source["exam_id"])
        assert resp.status_code == 400
        assert words in resp.get_data(as_text=True), words
    with app.app_context():
        assert db.session.query(Candidate).count() == count


def test_bad_rows_are_reported_row_by_row(app, login, source, tmp_path):
    """A package from another system with a bad ID number and an unknown unit: those rows
    are reported with the DBF field, the others are created."""
    from app.exchange.package import PackageWriter

    with app.app_context():
        target = _exam(source["year"] + 2000).id
        db.session.commit()
    good = make_id_number("410102", dt.date(2007, 5, 5), 321)
    rows = []
    for idn, unit, number in ((good, "41010201", "26410199000001"),
                              ("410102200705050000", "41010201", "26410199000002"),
                              (make_id_number("410102", dt.date(2007, 5, 6), 323), "99999999",
                               "26410199000003")):
        values = {name: "" for name, *_r in fmt.T_BMK}
        values.update(KSH=number, XM="欧阳·娜娜", XBDM="", ZJHM=idn, BYXXDM=unit,
                      ZJLXDM="1")
        rows.append(tuple(None if name in fmt.DATE_FIELDS else values[name]
                          for name, *_r in fmt.T_BMK))
    path = tmp_path / "other.zip"
    writer = PackageWriter(str(path))
    writer.add_table("T_BMK.DBF", fmt.table_spec(), rows)
    writer.close({"format": "other-system"})
    client = login("henan_admin")
    resp = _upload(client, path.read_bytes(), target)
    assert resp.status_code == 302
    client.run_jobs()
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    status = client.get(f"/exchange/import/{batch_id}/status").get_json()
    assert (status["status"], status["created"], status["rejected"]) == ("done", 1, 2)
    report = client.get(f"/exchange/import/{batch_id}/errors.csv").get_data(as_text=True)
    assert "ZJHM" in report and "BYXXDM" in report and "99999999" in report
    with app.app_context():
        cand = db.session.execute(select(Candidate).where(
            Candidate.exam_id == target)).scalar_one()
        assert (cand.name, cand.id_number, cand.candidate_number) == (
            "欧阳·娜娜", good, "26410199000001")


def test_exchange_is_for_administrators(login):
    page = login("zy_admin").get("/").get_data(as_text=True)
    assert 'href="/exchange/"' in page
    school = login("zy_school")
    assert 'href="/exchange/"' not in school.get("/").get_data(as_text=True)
    assert school.get("/exchange/").status_code == 403


def test_accepted_follows_each_exam_kinds_review_chain():
    from app.codes import ADULT, ZHONGZHAO

    assert fmt.accepted_states("final", ZHONGZHAO) == ("city_approved",)
    assert fmt.accepted_states("final", ADULT) == ("province_approved",)
    assert fmt.accepted_states("county", GAOKAO) == ("county_approved", "city_approved")
    assert fmt.accepted_states("any", GAOKAO)[0] == "school_approved"
