"""高考 scores (issue 17 part 6) through HTTP: the province imports GBK CSV and Excel files (a
merged title row, numeric cells), every bad row is reported with its row, column and reason and
stores nothing, a re-import replaces with before/after in the audit trail, candidates see their
scores on /me/ only after the release, counties neither import nor release and read only their
own candidates' scores.

The module builds its own database: its 高考 candidates must not change other modules' counts.
"""
import datetime as dt
import io
import re
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, func, insert, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import archive
from app.gaokao.score_models import GaokaoScore, ScoreRelease
from app.gaokao.scores import score_lines
from app.jurisdiction import Node
from app.validators import make_id_number
from conftest import Client
from helpers import activate, issue, text

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"
BULK = 3000
HEADER = ["考生号", "身份证号", "姓名", "语文", "数学", "外语", "综合", "总分", "专业", "特征分"]


def number(i):
    return f"2641010216{i:04d}"


@pytest.fixture(scope="module")
def app(module_app):
    def people(app):
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO)).scalars().first()
        zy = db.session.execute(select(Node).where(Node.code == ZY_SCHOOL)).scalar_one()
        eq = db.session.execute(select(Node).where(Node.code == EQ_SCHOOL)).scalar_one()
        rows = []
        for i in range(BULK + 10):
            birth = dt.date(2007, 1, 1) + dt.timedelta(days=i // 400)
            node = eq if i == 9 else zy
            rows.append(dict(exam_id=exam.id, node_id=node.id, name=f"成绩{i}", gender="1",
                             birth_date=birth, category="01", candidate_number=number(i),
                             id_number=make_id_number("410102", birth, 100 + i % 400 * 2)))
        db.session.execute(insert(Candidate), rows)

    with module_app("gscores", people) as app:
        yield app


@pytest.fixture(scope="module")
def exam(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(Exam.kind == GAOKAO)
                                  .order_by(Exam.id)).scalars().first()


def cand(app, i):
    with app.app_context():
        c = db.session.execute(select(Candidate).where(
            Candidate.candidate_number == number(i))).scalar_one()
        return c.id, c.id_number


def score(app, i):
    with app.app_context():
        s = db.session.execute(select(GaokaoScore).join(Candidate).where(
            Candidate.candidate_number == number(i))).scalar_one_or_none()
        return None if s is None else {c: (None if getattr(s, c) is None else float(getattr(s, c)))
                                       for c in ("chinese", "mathematics", "foreign_language",
                                                 "combined", "total", "professional", "feature")}


def clear(app, *indexes):
    with app.app_context():
        ids = select(Candidate.id).where(
            Candidate.candidate_number.in_([number(i) for i in indexes]))
        db.session.execute(delete(GaokaoScore).where(GaokaoScore.candidate_id.in_(ids)))
        db.session.commit()


def gbk_csv(rows, header=HEADER):
    return "\r\n".join(",".join(str(c) for c in r) for r in [header, *rows]).encode("gbk")


def excel(rows, header=HEADER, title="湖南省2026年普通高考考生成绩"):
    """An XLSX as Excel makes it: a merged title row, numbers in numeric cells."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, exam, data, name="scores.csv"):
    client.refresh_token("/gaokao/scores/")
    return client.post("/gaokao/scores/import", {"exam": str(exam),
                                                 "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def counts(resp):
    page = text(resp)
    found = re.search(r'data-added="(\d+)" data-replaced="(\d+)" data-unchanged="(\d+)" '
                      r'data-rejected="(\d+)"', page)
    assert found, page[:3000]
    return tuple(int(x) for x in found.groups())


def rejected(resp):
    """{row: (column, reason, value)} of the report."""
    rows = re.findall(r'<tr data-row="(\d+)"><td>\d+</td><td>(.*?)</td><td>(.*?)</td>'
                      r'<td>(.*?)</td></tr>', text(resp), re.S)
    return {int(r): (c, reason, v) for r, c, reason, v in rows}


# --- imports ----------------------------------------------------------------------------------

def test_one_row_gbk_csv_computes_the_total(app, exam, province_admin):
    clear(app, 0)
    resp = upload(province_admin, exam, gbk_csv([[number(0), "", "成绩0", 120, 131.5, 128, 250,
                                                  "", "", ""]]))
    assert counts(resp) == (1, 0, 0, 0)
    assert score(app, 0) == {"chinese": 120, "mathematics": 131.5, "foreign_language": 128,
                             "combined": 250, "total": 629.5, "professional": None,
                             "feature": None}


def test_two_rows_of_an_excel_file_below_a_merged_title(app, exam, province_admin):
    clear(app, 1, 2)
    cid2, idn2 = cand(app, 2)
    rows = [[int(number(1)), None, "成绩1", 101, 99, 88.5, 201, 489.5, 245, 612.1234],
            # named by ID number only, as text (the column formatted as 文本)
            [None, idn2, "成绩2", 90, 80, 70, 150, 390, None, None]]
    resp = upload(province_admin, exam, excel(rows), "成绩.xlsx")
    assert counts(resp) == (2, 0, 0, 0), rejected(resp)
    assert score(app, 1)["professional"] == 245 and score(app, 1)["feature"] == 612.1234
    assert score(app, 2)["total"] == 390


def test_every_bad_row_is_reported_and_stores_nothing(app, exam, province_admin):
    clear(app, *range(3, 9))
    with app.app_context():
        zz = db.session.execute(select(Candidate.id_number).join(Exam).where(
            Exam.kind == ZHONGZHAO)).scalars().first()
    rows = [
        [number(3), "", "", "一百", 90, 90, 200, "", "", ""],            # 2 not a number
        [number(4), "", "", 151, 90, 90, 200, "", "", ""],               # 3 out of range
        [number(5), "", "", 100.25, 90, 90, 200, "", "", ""],            # 4 decimals
        [number(6), "", "", 100, 90, 90, 200, 500, "", ""],              # 5 total ≠ sum
        ["26419999999999", "", "", 100, 90, 90, 200, "", "", ""],        # 6 unknown
        ["", zz, "", 100, 90, 90, 200, "", "", ""],                      # 7 another exam's
        [number(7), "", "王错名", 100, 90, 90, 200, "", "", ""],         # 8 name mismatch
        ["", "", "无名", 100, 90, 90, 200, "", "", ""],                  # 9 nobody named
        [number(8), "", "", "", "", "", "", "", "", ""],                 # 10 no score
        [number(8), "", "", 100, 90, 90, 200, "", "", "-1"],             # 11 feature < 0
        [number(0), "", "", 100, 90, 90, 200, "", "", ""],               # 12 good
        [number(0), "", "", 100, 90, 90, 200, "", "", ""],               # 13 duplicate
    ]
    resp = upload(province_admin, exam, gbk_csv(rows))
    report = rejected(resp)
    assert set(report) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}
    assert report[2][0] == "语文" and "不是数字" in report[2][1] and report[2][2] == "一百"
    assert report[3][0] == "语文" and "0–150" in report[3][1]
    assert "小数" in report[4][1]
    assert report[5][0] == "文化总分" and "480" in report[5][1]
    assert report[6][1] == report[7][1] and "辖区" in report[6][1]
    assert report[8][0] == "姓名"
    assert "考生号" in report[9][1]
    assert report[11][0] == "特征分"
    assert "第 12 行" in report[13][1] or "12" in report[13][1]
    assert counts(resp)[3] == 11
    for i in range(3, 9):
        assert score(app, i) is None, i


def test_excel_cut_id_numbers_are_refused(app, exam, province_admin):
    clear(app, 3)
    _cid, idn = cand(app, 3)
    # An 18-digit ID number typed into a numeric cell: Excel keeps 15 digits.
    cut = int(idn[:15] + "000")
    resp = upload(province_admin, exam,
                  excel([[None, cut, "", 100, 90, 90, 200, None, None, None]]), "cut.xlsx")
    report = rejected(resp)
    assert report[3][0] == "身份证号" and "15" in report[3][1]
    assert score(app, 3) is None


def test_reimport_replaces_and_audits_before_and_after(app, exam, province_admin):
    clear(app, 0)
    row = [number(0), "", "", 120, 131, 128, 250, "", "", ""]
    assert counts(upload(province_admin, exam, gbk_csv([row]))) == (1, 0, 0, 0)
    assert counts(upload(province_admin, exam, gbk_csv([row]))) == (0, 0, 1, 0)
    row[4] = 141
    assert counts(upload(province_admin, exam, gbk_csv([row]))) == (0, 1, 0, 0)
    cid, _idn = cand(app, 0)
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_gaokao_score", AuditLog.candidate_id == cid,
            AuditLog.action == "update").order_by(AuditLog.id.desc())).scalars().first()
        assert audit.username == "henan_admin"
        assert [float(v) for v in audit.changes["mathematics"]] == [131, 141]
        assert [float(v) for v in audit.changes["total"]] == [629, 639]
        assert audit.node_path.startswith("/")
    assert score(app, 0)["mathematics"] == 141


def test_unusable_files_are_refused_with_a_message(app, exam, province_admin):
    resp = upload(province_admin, exam, b"%PDF-1.4 junk", "scores.pdf")
    assert resp.status_code == 302
    page = text(province_admin.get(resp.location))
    assert "Excel" in page
    resp = upload(province_admin, exam, gbk_csv([["x", "y"]], header=["甲", "乙"]))
    page = text(province_admin.get(resp.location))
    assert "考生号" in page and "缺少" in page


def test_a_few_thousand_rows(app, exam, province_admin):
    rows = [[number(i), "", "", 100, 100, 100, 200, "", "", f"{i % 900}.5"]
            for i in range(10, BULK + 9)]
    start = time.monotonic()
    resp = upload(province_admin, exam, gbk_csv(rows))
    took = time.monotonic() - start
    added, replaced, unchanged, bad = counts(resp)
    assert bad == 0 and added + replaced + unchanged == len(rows)
    with app.app_context():
        ids = select(Candidate.id).where(Candidate.candidate_number.in_(
            [number(i) for i in range(10, BULK + 9)]))
        assert db.session.execute(select(func.count(GaokaoScore.id)).where(
            GaokaoScore.candidate_id.in_(ids))).scalar() == len(rows)
    assert took < 120


# --- release ----------------------------------------------------------------------------------

def test_candidates_see_their_scores_only_after_release(app, exam, province_admin, school_staff):
    clear(app, 1)
    upload(province_admin, exam, gbk_csv([[number(1), "", "", 101, 99, 88, 201, "", 245, ""]]))
    cid, idn = cand(app, 1)
    me = Client(app)
    resp = activate(me, idn, issue(school_staff, cid))
    assert resp.status_code == 302
    province_admin.refresh_token("/gaokao/scores/")
    province_admin.post("/gaokao/scores/release", {"exam": str(exam), "released": "0"})
    page = text(me.get("/me/"))
    assert 'id="scores-not-released"' in page and "489" not in page
    with app.test_request_context():
        c = db.session.get(Candidate, cid)
        assert score_lines(c) == []
    resp = province_admin.post("/gaokao/scores/release", {"exam": str(exam), "released": "1"})
    assert resp.status_code == 302
    page = text(me.get("/me/"))
    assert 'id="gaokao-scores"' in page and "489" in page and "245" in page
    with app.test_request_context():
        lines = dict(score_lines(db.session.get(Candidate, cid)))
        assert lines["语文"] == "101" and lines["文化总分"] == "489"
        assert db.session.execute(select(func.count(AuditLog.id)).where(
            AuditLog.table_name == "ks_gaokao_score_release")).scalar() >= 1
    province_admin.post("/gaokao/scores/release", {"exam": str(exam), "released": "0"})
    assert "489" not in text(me.get("/me/"))


def test_a_zhongzhao_candidate_sees_no_score_block(app, candidate):
    client, _cid, _idn = candidate()
    assert 'id="gaokao-scores"' not in text(client.get("/me/"))


# --- scoping ----------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["zy_admin", "zz_admin", "zy_reviewer"])
def test_counties_and_cities_neither_import_nor_release(app, exam, login, user):
    clear(app, 5)
    client = login(user)
    assert client.get("/gaokao/scores/").status_code in (302, 403)
    client.refresh_token("/gaokao/scorelist/list/")
    resp = client.post("/gaokao/scores/import",
                       {"exam": str(exam), "file": (io.BytesIO(gbk_csv(
                           [[number(5), "", "", 100, 90, 90, 200, "", "", ""]])), "s.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code in (302, 403)
    client.post("/gaokao/scores/release", {"exam": str(exam), "released": "1"})
    assert score(app, 5) is None
    with app.app_context():
        assert not db.session.execute(select(ScoreRelease.released).where(
            ScoreRelease.exam_id == exam)).scalar()


def test_staff_lists_show_only_their_own_candidates(app, exam, province_admin, login):
    clear(app, 1, 9)
    upload(province_admin, exam, gbk_csv([[number(1), "", "", 101, 99, 88, 201, "", "", ""],
                                          [number(9), "", "", 77, 66, 55, 144, "", "", ""]]))
    zy = login("zy_admin")
    page = text(zy.get("/gaokao/scorelist/list/?_flt_0_candidate_id=" + number(1)))
    assert "成绩1" in page
    page = text(zy.get("/gaokao/scorelist/list/?_flt_0_candidate_id=" + number(9)))
    assert "成绩9" not in page
    with app.app_context():
        foreign = db.session.execute(select(GaokaoScore.id).join(Candidate).where(
            Candidate.candidate_number == number(9))).scalar_one()
    assert zy.get(f"/gaokao/scorelist/show/{foreign}").status_code == 404
    assert "成绩9" in text(login("eq_admin").get(f"/gaokao/scorelist/show/{foreign}"))
    assert login("zy_school").get("/gaokao/scorelist/list/").status_code in (302, 403)


def test_the_archive_part_reads_scores_in_bulk(app, exam, province_admin):
    clear(app, 2)
    upload(province_admin, exam, gbk_csv([[number(1), "", "", 101, 99, 88, 201, "", "", ""]]))
    with app.test_request_context():
        states = archive.states_of([cand(app, 1)[0], cand(app, 2)[0]])
        assert states[cand(app, 1)[0]]["scores"] == archive.CONFIRMED
        assert states[cand(app, 2)[0]]["scores"] == archive.MISSING
