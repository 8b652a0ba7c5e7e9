"""Registry import through HTTP: upload → mapping → job → summary, status and error report."""
import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.candidates.models import Candidate, ImportBatch
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.extensions import db
from helpers import (REGISTRY_HEADER, csv_bytes, exam_id, idn, run_import, start_import,
                     upload_registry)


def xlsx_bytes(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(REGISTRY_HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def error_report(c, batch_id):
    resp = c.get(f"/registry-import/{batch_id}/errors.csv")
    assert resp.status_code == 200
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def candidate(app, id_number):
    """A detached snapshot of the stored candidate (None if absent)."""
    from types import SimpleNamespace

    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one_or_none()
        if cand is None:
            return None
        return SimpleNamespace(name=cand.name, gender=cand.gender, ethnicity=cand.ethnicity,
                               node=SimpleNamespace(code=cand.node.code),
                               guardians=[SimpleNamespace(name=g.name) for g in cand.guardians])


@pytest.fixture
def school(login):
    return login("zy_school")


def test_gbk_csv_with_mixed_good_and_bad_rows(school, app):
    good1, good2 = idn(1, 201), idn(2, 202)
    data = csv_bytes([
        ["李小明", good1, "男", "41010201", "汉族", "13800001111", "李建国"],
        ["王小红", good2, "女", "41010201", "汉", "13800001112", ""],
        ["坏号码", "410102201104031234", "男", "41010201", "汉", "13800001113", ""],
        ["错电话", idn(4, 203), "男", "41010201", "汉", "138", ""],
        ["外县生", idn(5, 205, "410103"), "男", "41010301", "汉", "13800001115", ""],
        ["无此校", idn(6, 207), "男", "99999999", "汉", "13800001116", ""],
        ["重复者", good1, "男", "41010201", "汉", "13800001117", ""],
    ], encoding="gbk")
    batch_id, status = run_import(school, app, data)
    assert status["status"] == "done" and status["percent"] == 100
    assert (status["total"], status["created"], status["updated"], status["rejected"]) == (7, 2, 0, 5)
    first = candidate(app, good1)
    assert first.name == "李小明" and first.gender == "1" and first.ethnicity == "01"
    assert [g.name for g in first.guardians] == ["李建国"]
    report = error_report(school, batch_id)
    assert report[0] == ["行号", "列", "原因"]
    by_row = {int(r[0]): r for r in report[1:]}
    assert set(by_row) == {4, 5, 6, 7, 8}
    assert by_row[4][1] == "身份证号" and by_row[5][1] == "联系电话"
    assert "41010301" in by_row[6][2] and by_row[6][1] == "学校代码"
    assert "99999999" in by_row[7][2]
    assert "2" in by_row[8][2]  # duplicate of row 2
    assert candidate(app, idn(5, 205, "410103")) is None


def test_reimport_updates_without_duplicates(school, app):
    id_number = idn(10, 211)
    run_import(school, app, csv_bytes([["赵一", id_number, "男", "41010201", "汉", "13800002222", ""]]))
    _, status = run_import(school, app, csv_bytes(
        [["赵一", id_number, "男", "41010201", "回族", "13900002222", ""]]))
    assert (status["created"], status["updated"], status["rejected"]) == (0, 1, 0)
    with app.app_context():
        rows = db.session.execute(select(Candidate).where(Candidate.id_number == id_number)).scalars().all()
        assert len(rows) == 1 and rows[0].ethnicity == "03" and rows[0].phone == "13900002222"
        assert rows[0].node.code == "41010201"


def test_county_admin_import_spans_its_schools(login, app, school):
    c = login("zy_admin")
    a, b = idn(20, 221), idn(21, 223)
    _, status = run_import(c, app, csv_bytes([
        ["吴五", a, "男", "41010201", "汉", "13800006666", ""],
        ["郑六", b, "男", "41010202", "汉", "13800007777", ""]]))
    assert status["created"] == 2
    assert candidate(app, b).node.code == "41010202"


def test_xlsx_import(school, app):
    id_number = idn(12, 214)
    data = xlsx_bytes([["钱二", id_number, "女", "41010201", "汉族", "13800003333", None]])
    _, status = run_import(school, app, data, "学籍.xlsx")
    assert status["created"] == 1
    assert candidate(app, id_number).gender == "2"


def test_import_cannot_touch_other_county_record(login, app, school):
    other = login("eq_school")
    id_number = idn(14, 215, "410103")
    run_import(other, app, csv_bytes([["孙三", id_number, "男", "41010301", "汉", "13800004444", ""]]))
    batch_id, status = run_import(school, app, csv_bytes(
        [["孙三", id_number, "男", "41010201", "汉", "13800004444", ""]]))
    assert status["rejected"] == 1 and status["updated"] == 0
    assert candidate(app, id_number).node.code == "41010301"
    assert "郑州市第五十六中学" in error_report(school, batch_id)[1][2]


def test_not_a_table_is_refused_and_nothing_stored(school, app):
    with app.app_context():
        before = db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar()
    school.refresh_token("/registry-import/")
    resp = school.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": school.token, "exam": str(exam_id(app)),
        "file": (io.BytesIO(b"%PDF-1.4 binary \x00\x01"), "学籍.xlsx")}, follow_redirects=True)
    assert "该文件不是表格" in resp.get_data(as_text=True)  # "表格" alone is in the menu
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar() == before


def test_missing_required_column_is_refused(school, app):
    # A school user need not map 学校代码 (rows go to its own school); the ID number it must.
    school.refresh_token("/registry-import/")
    resp = school.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": school.token, "exam": str(exam_id(app)),
        "file": (io.BytesIO("姓名,身份证号\n张三,11010519491231002X\n".encode()), "a.csv")})
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    resp = school.post(f"/registry-import/{batch_id}/mapping", {"col_name": "0"})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "new"


def test_batch_of_other_county_is_404(login, app, school):
    batch_id, _ = run_import(school, app, csv_bytes(
        [["周四", idn(16, 217), "男", "41010201", "汉", "13800005555", ""]]))
    other = login("eq_school")
    for path in ("", "/status", "/errors.csv", "/mapping"):
        assert other.get(f"/registry-import/{batch_id}{path}").status_code == 404


def test_reviewer_cannot_import(login):
    assert login("zy_reviewer").get("/registry-import/").status_code == 403


# --- re-import never loses stored data ------------------------------------------------

def stored(app, id_number, *fields):
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one()
        return tuple(getattr(cand, f) for f in fields)


def test_reimport_keeps_what_the_row_leaves_empty_or_the_file_does_not_carry(school, app):
    id_number = idn(23, 231)
    run_import(school, app, csv_bytes([["冯七", id_number, "男", "41010201", "汉族", "13800008888", ""]]))
    with app.app_context():  # entered later by the candidate or the school
        cand = db.session.execute(select(Candidate).where(Candidate.id_number == id_number)).scalar_one()
        cand.address, cand.political_status = "郑州市中原区建设路 8 号", "03"
        db.session.commit()
    # The next sync: an empty phone cell, no ethnicity or address column, a new class.
    _, status = run_import(school, app, csv_bytes(
        [["冯七", id_number, "41010201", "", "九年级（2）班"]],
        header=["姓名", "身份证号", "学校代码", "联系电话", "班级"]))
    assert (status["created"], status["updated"], status["rejected"]) == (0, 1, 0)
    assert stored(app, id_number, "phone", "ethnicity", "address", "political_status",
                  "class_name") == ("13800008888", "01", "郑州市中原区建设路 8 号", "03",
                                    "九年级（2）班")
    # The same file again changes nothing (and is not counted as an update).
    _, status = run_import(school, app, csv_bytes(
        [["冯七", id_number, "41010201", "", "九年级（2）班"]],
        header=["姓名", "身份证号", "学校代码", "联系电话", "班级"]))
    assert (status["created"], status["updated"], status["rejected"]) == (0, 0, 0)


def _race(monkeypatch, id_number, act):
    """Run ``act()`` once, right after the importer has read the stored state of
    ``id_number``: a change committed by someone else between read and write."""
    from app.candidates.importer import Importer

    original, fired = Importer._existing, []

    def existing(self, id_numbers):
        found = original(self, id_numbers)
        if id_number in id_numbers and not fired:
            fired.append(1)
            act()
        return found

    monkeypatch.setattr(Importer, "_existing", existing)
    return fired


def _elsewhere(sql_fn):
    # Another connection with its own transaction, committed at once.
    with db.engine.begin() as conn:
        conn.execute(sql_fn())


def test_record_signed_between_read_and_write_is_not_overwritten(school, app, monkeypatch):
    from sqlalchemy import update

    id_number = idn(24, 233)
    run_import(school, app, csv_bytes([["陈八", id_number, "男", "41010201", "汉族", "13800009999", ""]]))
    table = Candidate.__table__
    fired = _race(monkeypatch, id_number, lambda: _elsewhere(
        lambda: update(table).where(table.c.id_number == id_number)
        .values(locked=True, version=table.c.version + 1)))
    batch_id, status = run_import(school, app, csv_bytes(
        [["陈八", id_number, "男", "41010201", "回族", "13900009999", ""]]))
    assert fired
    assert status["status"] == "done"
    assert (status["updated"], status["rejected"]) == (0, 1)
    assert stored(app, id_number, "ethnicity", "phone", "locked") == ("01", "13800009999", True)
    assert "锁定" in error_report(school, batch_id)[1][2]


def test_concurrent_insert_of_the_same_new_id_rejects_only_that_row(school, app, monkeypatch):
    from sqlalchemy import insert

    from app.candidates import importer
    from app.jurisdiction import Node

    monkeypatch.setattr(importer, "CHUNK", 2)
    rows = [idn(25, 235), idn(25, 237), idn(25, 239), idn(25, 241)]
    raced = rows[2]  # in the second chunk, after the first one is committed
    with app.app_context():
        values = dict(exam_id=exam_id(app), name="并发者", gender="1",
                      id_number=raced, birth_date=dt.date(2011, 4, 25),
                      node_id=db.session.execute(select(Node.id).where(Node.code == "41010201")).scalar_one(),
                      created_on=dt.datetime.now(), changed_on=dt.datetime.now())
    fired = _race(monkeypatch, raced,
                  lambda: _elsewhere(lambda: insert(Candidate.__table__).values(**values)))
    batch_id, status = run_import(school, app, csv_bytes(
        [[f"考生{'甲乙丙丁'[i]}", n, "男", "41010201", "汉", "13800001234", ""]
         for i, n in enumerate(rows)]))
    assert fired
    assert status["status"] == "done"
    assert (status["created"], status["rejected"]) == (3, 1)
    assert candidate(app, raced).name == "并发者"
    assert all(candidate(app, n).name.startswith("考生") for n in rows if n != raced)
    (row, column, reason), = error_report(school, batch_id)[1:]
    assert (row, column) == ("4", "身份证号")
    assert "导入期间" in reason and "郑州市第五十七中学" in reason


# --- 考生号, class and exam-specific columns -----------------------------------------------

def test_gaokao_import_sets_number_class_and_gaokao_fields(school, app):
    header = ["姓名", "身份证号", "学校代码", "KSH", "BJ", "KLDM", "WYYZDM", "毕业学校", "文化程度"]
    id_number = make_id_number("410102", dt.date(2008, 2, 14), 243)
    batch_id = upload_registry(school, app, csv_bytes(
        [["褚九", id_number, "41010201", "26410102150001", "高三（5）班", "3", "英语",
          "郑州市第五十七中学", "普通高中"]], header=header), kind="gaokao")
    page = school.get(f"/registry-import/{batch_id}/mapping").get_data(as_text=True)
    # The 成人高考 column is not offered for a 高考 exam (nor mapped automatically).
    assert 'name="col_subject_track"' in page and 'name="col_education_level"' not in page
    status = start_import(school, app, batch_id)
    assert (status["created"], status["rejected"]) == (1, 0)
    assert stored(app, id_number, "candidate_number", "class_name", "subject_track",
                  "foreign_language", "graduation_school", "education_level") == (
        "26410102150001", "高三（5）班", "3", "1", "郑州市第五十七中学", None)
    export = school.get("/candidateview/export/csv?_flt_0_candidate_number=26410102150001")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    record = dict(zip(rows[0], rows[1]))
    assert (record["考生号"], record["班级"], record["科类"], record["外语语种"]) == (
        "26410102150001", "高三（5）班", "物理类", "英语")


def test_adult_import_sets_adult_fields(login, app):
    point = login("zy_point")
    header = ["姓名", "身份证号", "学校代码", "文化程度", "职业", "参加工作时间", "考生特征",
              "招生类别", "学习形式", "毕业日期", "毕业证书编号", "备注", "科类"]
    id_number = make_id_number("410102", dt.date(1994, 6, 1), 245)
    _, status = run_import(point, app, csv_bytes(
        [["卫十", id_number, "BM410102", "大学专科", "2", "2015-07-01", "年满25周岁", "非定向",
          "函授", "2015年6月30日", "1045912015000456", "在职", "理工"]], header=header),
        kind="adult")
    assert (status["created"], status["rejected"]) == (1, 0)
    assert stored(app, id_number, "education_level", "occupation", "work_start",
                  "candidate_feature", "enrolment_type", "study_form", "graduation_date",
                  "diploma_number", "remark", "subject_track") == (
        "30", "2", dt.date(2015, 7, 1), "02", "01", "3", dt.date(2015, 6, 30),
        "1045912015000456", "在职", None)


def test_duplicate_candidate_numbers_are_rejected(school, app):
    header = ["姓名", "身份证号", "学校代码", "考生号"]
    held = make_id_number("410102", dt.date(2011, 4, 26), 247)
    run_import(school, app, csv_bytes([["蒋一", held, "41010201", "26410102159901"]], header=header))
    a, b = idn(27, 249), idn(27, 251)
    batch_id, status = run_import(school, app, csv_bytes([
        ["沈二", a, "41010201", "26410102159901"],   # held by 蒋一
        ["韩三", b, "41010201", "26410102159902"],
        ["杨四", idn(27, 253), "41010201", "26410102159902"],  # repeats row 3
    ], header=header))
    assert (status["created"], status["rejected"]) == (1, 2)
    report = {int(r[0]): r for r in error_report(school, batch_id)[1:]}
    assert report[2][1] == "考生号" and "郑州市第五十七中学" in report[2][2]
    assert report[4][1] == "考生号" and "3" in report[4][2]
    assert candidate(app, a) is None


def test_convert_row_refuses_fields_of_another_exam_kind_and_future_dates(app):
    from app.candidates.importer import RowError, convert_row

    values = {"name": "朱五", "id_number": idn(28, 255), "school_code": "41010201",
              "subject_track": "3", "work_start": "2090-01-01"}
    with app.test_request_context():
        with pytest.raises(RowError) as info:
            convert_row(values, "adult")
        problems = dict(info.value.problems)
        assert "高考" in problems["subject_track"] and "2090-01-01" in problems["work_start"]
        with pytest.raises(RowError) as info:
            convert_row({**values, "work_start": ""}, ZHONGZHAO)
        assert set(dict(info.value.problems)) == {"subject_track"}
        cand, _guardian, _school = convert_row({**values, "work_start": ""}, "gaokao")
        assert cand["subject_track"] == "3" and "work_start" not in cand and "phone" not in cand


# --- progress while running; failures --------------------------------------------------

def test_progress_page_and_status_while_the_job_runs(school, login, app, monkeypatch):
    from app import job_records
    from app.candidates import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    watcher = login("zy_school")
    seen = []
    real = job_records.report_progress

    def progress(done, total, message=""):
        real(done, total, message)
        if not seen:  # after the first chunk is committed
            seen.append((watcher.get(f"/registry-import/{batch_id}/status").get_json(),
                         watcher.get(f"/registry-import/{batch_id}").get_data(as_text=True)))

    monkeypatch.setattr(job_records, "report_progress", progress)
    batch_id = upload_registry(school, app, csv_bytes(
        [[f"进度{'甲乙丙丁戊'[i]}", idn(29, 261 + 2 * i), "男", "41010201", "汉", "13800001234", ""]
         for i in range(5)]))
    final = start_import(school, app, batch_id)
    (mid, page), = seen
    assert mid["status"] == "running" and mid["total"] == 5 and mid["created"] == 2
    assert 0 <= mid["percent"] < 100
    assert 'id="created">2<' in page and 'id="total">5<' in page and "import-progress" in page
    assert final["status"] == "done" and final["percent"] == 100 and final["created"] == 5


def test_job_that_raises_ends_failed_with_a_message(school, app, monkeypatch):
    from app.candidates import importer

    monkeypatch.setattr(importer, "CHUNK", 1)
    original, calls = importer.Importer._write, []

    def write(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, *args)

    monkeypatch.setattr(importer.Importer, "_write", write)
    first, second = idn(30, 271), idn(30, 273)
    batch_id, status = run_import(school, app, csv_bytes([
        ["失败甲", first, "男", "41010201", "汉", "13800001234", ""],
        ["失败乙", second, "男", "41010201", "汉", "13800001234", ""]]))
    assert status["status"] == "failed" and status["percent"] == 100
    assert "服务器错误" in status["message"] and "disk full" not in status["message"]
    assert status["created"] == 1
    assert candidate(app, first) is not None and candidate(app, second) is None
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "failed"
    page = school.get(f"/registry-import/{batch_id}").get_data(as_text=True)
    assert "import-progress" in page


def test_endless_concurrent_changes_end_the_job_failed(school, app, monkeypatch):
    from app.candidates import importer

    id_number = idn(30, 275)
    run_import(school, app, csv_bytes([["冲突甲", id_number, "男", "41010201", "汉", "13800001234", ""]]))

    def always_stale(conn, updates, now):
        raise importer._Stale()

    monkeypatch.setattr(importer.Importer, "_update", staticmethod(always_stale))
    _, status = run_import(school, app, csv_bytes(
        [["冲突甲", id_number, "男", "41010201", "回族", "13800001234", ""]]))
    assert status["status"] == "failed" and "重新导入" in status["message"]
    assert stored(app, id_number, "ethnicity") == ("01",)


# --- the review workflow's freeze and the record version ---------------------------------

def idn_may(day, seq):
    """ID numbers of this section (born May 2010), apart from the ones above."""
    return make_id_number("410102", dt.date(2010, 5, day), seq)


def set_stored(app, id_number, **values):
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one()
        for key, value in values.items():
            setattr(cand, key, value)
        db.session.commit()


def guardians_of(app, id_number):
    return [g.name for g in candidate(app, id_number).guardians]


@pytest.mark.parametrize("day, state, label", [
    (1, "school_approved", "学校/报名点已审核"), (2, "county_approved", None),
    (3, "city_approved", None)])
def test_import_refuses_to_change_an_approved_record(school, app, day, state, label):
    id_number = idn_may(day, 301)
    row = ["审核甲", id_number, "男", "41010201", "汉族", "13800001234"]
    run_import(school, app, csv_bytes([row + [""]]))
    set_stored(app, id_number, state=state)
    batch_id, status = run_import(school, app, csv_bytes([
        ["审核甲", id_number, "男", "41010201", "回族", "13800001234", "李建国"]]))
    assert (status["updated"], status["rejected"]) == (0, 1)
    assert stored(app, id_number, "ethnicity", "state") == ("01", state)
    assert guardians_of(app, id_number) == []
    (line, column, reason), = error_report(school, batch_id)[1:]
    assert (line, column) == ("2", "身份证号")
    assert "审核甲" in reason and "审核通过后不得修改" in reason and "退回" in reason
    if label:
        assert label in reason
    # The registry's same data again is no change, so nothing to refuse.
    batch_id, status = run_import(school, app, csv_bytes([row + [""]]))
    assert (status["created"], status["updated"], status["rejected"]) == (0, 0, 0)
    # Once a reviewer has rejected it, the import may correct it again.
    set_stored(app, id_number, state="rejected")
    _, status = run_import(school, app, csv_bytes([
        ["审核甲", id_number, "男", "41010201", "回族", "13800001234", ""]]))
    assert (status["updated"], status["rejected"]) == (1, 0)
    assert stored(app, id_number, "ethnicity") == ("03",)


def test_record_approved_between_read_and_write_is_not_overwritten(school, app, monkeypatch):
    from sqlalchemy import update

    id_number = idn_may(4, 303)
    run_import(school, app, csv_bytes([["审核乙", id_number, "男", "41010201", "汉族", "13800001234", ""]]))
    table = Candidate.__table__
    fired = _race(monkeypatch, id_number, lambda: _elsewhere(
        lambda: update(table).where(table.c.id_number == id_number)
        .values(state="county_approved", version=table.c.version + 1)))
    batch_id, status = run_import(school, app, csv_bytes(
        [["审核乙", id_number, "男", "41010201", "回族", "13800001234", ""]]))
    assert fired and status["status"] == "done"
    assert (status["updated"], status["rejected"]) == (0, 1)
    assert stored(app, id_number, "ethnicity") == ("01",)
    assert "县级已审核" in error_report(school, batch_id)[1][2]


def test_guardian_alone_is_not_added_to_a_record_signed_meanwhile(school, app, monkeypatch):
    from sqlalchemy import update

    id_number = idn_may(5, 305)
    row = ["签字丙", id_number, "男", "41010201", "汉族", "13800001234"]
    run_import(school, app, csv_bytes([row + [""]]))
    table = Candidate.__table__
    fired = _race(monkeypatch, id_number, lambda: _elsewhere(
        lambda: update(table).where(table.c.id_number == id_number)
        .values(locked=True, version=table.c.version + 1)))
    batch_id, status = run_import(school, app, csv_bytes([row + ["李建国"]]))
    assert fired and (status["updated"], status["rejected"]) == (0, 1)
    assert guardians_of(app, id_number) == []
    assert "锁定" in error_report(school, batch_id)[1][2]


def test_guardian_added_by_import_moves_the_version_and_outdates_printed_forms(school, app):
    import re

    from app.audit import AuditLog

    id_number = idn_may(6, 307)
    row = ["版本丁", id_number, "男", "41010201", "汉族", "13800001234"]
    run_import(school, app, csv_bytes([row + [""]]))
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one()
        cid, before = cand.id, cand.version
    assert school.get(f"/print/registration/{cid}.pdf").status_code == 200
    with app.app_context():
        code = [r.changes["code"] for r in db.session.execute(
            select(AuditLog).where(AuditLog.action == "print").order_by(AuditLog.id)).scalars()
            if (r.changes or {}).get("candidate_id") == cid][-1]

    def verified():
        page = school.get(f"/print/verify?code={code}").get_data(as_text=True)
        return re.search(r'id="verify-result" data-status="(\w+)"', page).group(1)

    assert verified() == "current"
    _, status = run_import(school, app, csv_bytes([row + ["李建国"]]))
    assert (status["updated"], status["rejected"]) == (1, 0)
    assert guardians_of(app, id_number) == ["李建国"]
    assert stored(app, id_number, "version") == (before + 1,)
    assert verified() == "outdated"
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.action == "update", AuditLog.row_id == cid,
            AuditLog.table_name == Candidate.__tablename__)).scalars().all()[-1]
        assert audit.changes == {"guardians": [None, "李建国"]}
    # The record already has a guardian: the same file adds none and changes nothing.
    _, status = run_import(school, app, csv_bytes([row + ["李建国"]]))
    assert (status["updated"], status["rejected"]) == (0, 0)
    assert stored(app, id_number, "version") == (before + 1,)


# --- an upload that cannot be mapped -----------------------------------------------------

def test_mapping_of_an_upload_removed_from_the_server(school, app):
    import os

    batch_id = upload_registry(school, app, csv_bytes(
        [["文件戊", idn_may(7, 309), "男", "41010201", "汉族", "13800001234", ""]]))
    with app.app_context():
        os.remove(db.session.get(ImportBatch, batch_id).stored_path)
    for resp in (school.post(f"/registry-import/{batch_id}/mapping", {"col_name": "0"}),
                 school.get(f"/registry-import/{batch_id}/mapping")):
        page = resp.get_data(as_text=True)
        assert resp.status_code == 410
        assert 'id="import-error"' in page and "已不在服务器上" in page and "重新上传文件" in page
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.job_id) == ("failed", None)
        assert "已不在服务器上" in batch.message
    assert candidate(app, idn_may(7, 309)) is None


def test_mapping_of_an_upload_without_data_rows(school, app):
    batch_id = upload_registry(school, app, csv_bytes(
        [["文件己", idn_may(8, 311), "男", "41010201", "汉族", "13800001234", ""]]))
    with app.app_context():  # e.g. a file truncated on the server's disk
        with open(db.session.get(ImportBatch, batch_id).stored_path, "wb") as fh:
            fh.write(csv_bytes([]))
    for resp in (school.get(f"/registry-import/{batch_id}/mapping"),
                 school.post(f"/registry-import/{batch_id}/mapping",
                             {"col_name": "0", "col_id_number": "1", "col_school_code": "3"})):
        assert resp.status_code == 422
        assert "文件中没有数据行" in resp.get_data(as_text=True)
    status = school.get(f"/registry-import/{batch_id}/status").get_json()
    assert status["status"] == "failed" and "没有数据行" in status["message"]
