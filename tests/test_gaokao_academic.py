"""学业水平考试成绩 and 综合素质评价 (issue 17 parts 8 and 9) through HTTP: the province imports the
basic-education department's files (GBK CSV one row per subject, Excel one column per subject
below a merged title row), grades are converted to the archive's codes, every bad row is
reported with its row, column, reason and value and stores nothing of that row, re-imports
replace with before/after in the audit trail, and staff lists are scoped.

The module builds its own database: its 高考 candidates must not change other modules' counts.
"""
import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, func, insert, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import archive
from app.gaokao.academic_codes import ACADEMIC_SUBJECTS
from app.gaokao.score_models import BasicEduResult
from app.jurisdiction import Node
from app.validators import make_id_number
from helpers import text

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"
PEOPLE = 310  # × 14 subjects: a file of 4,340 rows
EQ = 9  # the one candidate of 二七区
LONG = ["考生号", "身份证号", "姓名", "科目", "等级"]
SUBJECTS = [zh for _c, zh, _en in ACADEMIC_SUBJECTS]


def number(i):
    return f"2641010217{i:04d}"


@pytest.fixture(scope="module")
def app(module_app):
    def people(app):
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO)).scalars().first()
        zy = db.session.execute(select(Node).where(Node.code == ZY_SCHOOL)).scalar_one()
        eq = db.session.execute(select(Node).where(Node.code == EQ_SCHOOL)).scalar_one()
        rows = []
        for i in range(PEOPLE):
            birth = dt.date(2007, 5, 1) + dt.timedelta(days=i // 400)
            rows.append(dict(exam_id=exam.id, node_id=(eq if i == EQ else zy).id,
                             name=f"学考{i}", gender="2", birth_date=birth, category="01",
                             candidate_number=number(i),
                             id_number=make_id_number("410102", birth, 100 + i % 400 * 2)))
        db.session.execute(insert(Candidate), rows)

    with module_app("gacademic", people) as app:
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


def grades(app, i, part="academic"):
    """{item code: grade code} stored for candidate ``i``."""
    with app.app_context():
        return dict(db.session.execute(select(BasicEduResult.item, BasicEduResult.grade).join(
            Candidate).where(Candidate.candidate_number == number(i),
                             BasicEduResult.part == part)).all())


def clear(app, *indexes):
    with app.app_context():
        ids = select(Candidate.id).where(Candidate.candidate_number.in_(
            [number(i) for i in indexes]))
        db.session.execute(delete(BasicEduResult).where(BasicEduResult.candidate_id.in_(ids)))
        db.session.commit()


def gbk_csv(rows, header=LONG):
    return "\r\n".join(",".join(str(c) for c in r) for r in [header, *rows]).encode("gbk")


def excel(rows, header, title="2026届普通高中学业水平考试成绩"):
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, exam, data, part="academic", name="xk.csv"):
    client.refresh_token(f"/gaokao/basic/?part={part}")
    return client.post("/gaokao/basic/import", {"exam": str(exam), "part": part,
                                                "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def counts(resp):
    found = re.search(r'data-added="(\d+)" data-replaced="(\d+)" data-unchanged="(\d+)" '
                      r'data-rejected="(\d+)"', text(resp))
    assert found, text(resp)[:3000]
    return tuple(int(x) for x in found.groups())


def rejected(resp):
    rows = re.findall(r'<tr data-row="(\d+)"><td>\d+</td><td>(.*?)</td><td>(.*?)</td>'
                      r'<td>(.*?)</td></tr>', text(resp), re.S)
    return {int(r): (c, reason, v) for r, c, reason, v in rows}


# --- imports ----------------------------------------------------------------------------------

def test_one_row_per_subject_in_a_gbk_csv(app, exam, province_admin):
    clear(app, 0)
    resp = upload(province_admin, exam, gbk_csv([[number(0), "", "学考0", "语文", "优秀"]]))
    assert counts(resp) == (1, 0, 0, 0)
    assert grades(app, 0) == {"01": "A"}


def test_a_column_per_subject_below_a_merged_title(app, exam, province_admin):
    clear(app, 1, 2)
    _cid, idn2 = cand(app, 2)
    header = ["考生号", "身份证号", "姓名", "语文", "数学", "英语", "体育与健康", "信息技术"]
    rows = [[int(number(1)), None, "学考1", "Ａ", "良好", "c", "合格", "不合格"],
            [None, idn2, "学考2", "不合格", None, "优", "合格", None]]
    resp = upload(province_admin, exam, excel(rows, header), name="学考.xlsx")
    assert counts(resp) == (8, 0, 0, 0), rejected(resp)
    assert grades(app, 1) == {"01": "A", "02": "B", "03": "C", "12": "P", "10": "F"}
    assert grades(app, 2) == {"01": "E", "03": "A", "12": "P"}


def test_every_bad_row_is_reported_and_stores_nothing_of_it(app, exam, province_admin):
    clear(app, *range(3, 9))
    rows = [
        [number(3), "", "", "天文", "A"],          # 2 unknown subject
        [number(4), "", "", "体育与健康", "A"],    # 3 a letter for a pass/fail subject
        [number(5), "", "", "数学", ""],           # 4 grade missing
        [number(5), "", "", "数学", "F+"],         # 5 not a grade
        ["26419999999999", "", "", "数学", "A"],   # 6 unknown candidate
        [number(6), "", "错名", "数学", "A"],      # 7 name mismatch
        [number(7), "", "", "数学", "A"],          # 8 good
        [number(7), "", "", "数学", "B"],          # 9 the same subject again
        ["", "", "", "数学", "A"],                 # 10 nobody
    ]
    resp = upload(province_admin, exam, gbk_csv(rows))
    report = rejected(resp)
    assert set(report) == {2, 3, 4, 5, 6, 7, 9, 10}
    assert report[2] [0] == "科目" and report[2][2] == "天文" and "语文" in report[2][1]
    assert report[3][0] == "等级" and "合格" in report[3][1] and report[3][2] == "A"
    assert report[4][0] == "等级" and "缺少" in report[4][1]
    assert report[5][2] == "F+"
    assert "辖区" in report[6][1] and report[6][2] == "26419999999999"
    assert report[7][0] == "姓名"
    assert "第 8 行" in report[9][1]
    assert counts(resp) == (1, 0, 0, 8)
    assert grades(app, 7) == {"02": "A"}
    for i in (3, 4, 5, 6):
        assert grades(app, i) == {}, i


def test_a_wide_row_with_one_bad_grade_stores_none_of_its_grades(app, exam, province_admin):
    clear(app, 3, 4)
    _cid, idn = cand(app, 4)
    header = ["考生号", "身份证号", "语文", "数学", "音乐"]
    rows = [[number(3), None, "A", "B", "A"],            # 3: 音乐 is 合格/不合格
            [None, int(idn[:15] + "000"), "A", "B", "合格"],  # 4: Excel cut the ID number
            [number(5), None, None, None, None]]          # 5: no grade at all
    resp = upload(province_admin, exam, excel(rows, header), name="wide.xlsx")
    report = rejected(resp)
    assert report[3][0] == "音乐" and report[3][2] == "A"
    assert report[4][0] == "身份证号" and "15" in report[4][1]
    assert "没有等级" in report[5][1]
    assert grades(app, 3) == {} and grades(app, 4) == {} and grades(app, 5) == {}


def test_quality_dimensions_on_their_own_scale(app, exam, province_admin):
    clear(app, 10)
    header = ["考生号", "评价维度", "评价等级"]
    rows = [[number(10), "思想品德", "A"], [number(10), "身心健康", "合格"],
            [number(10), "艺术素养", "中等"], [number(10), "体育", "A"]]
    resp = upload(province_admin, exam, gbk_csv(rows, header), part="quality")
    report = rejected(resp)
    assert set(report) == {4, 5}
    assert report[4][0] == "等级" and "中等" == report[4][2]
    assert report[5][0] == "评价维度"
    assert grades(app, 10, "quality") == {"01": "A", "03": "C"}
    assert grades(app, 10) == {}


def test_reimport_replaces_and_audits_before_and_after(app, exam, province_admin):
    clear(app, 11)
    assert counts(upload(province_admin, exam, gbk_csv([[number(11), "", "", "物理", "B"]]))) \
        == (1, 0, 0, 0)
    assert counts(upload(province_admin, exam, gbk_csv([[number(11), "", "", "物理", "良好"]]))) \
        == (0, 0, 1, 0)
    assert counts(upload(province_admin, exam, gbk_csv([[number(11), "", "", "物理", "A"],
                                                        [number(11), "", "", "化学", "C"]]))) \
        == (1, 1, 0, 0)
    assert grades(app, 11) == {"07": "A", "08": "C"}
    cid, _idn = cand(app, 11)
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_gaokao_basic_result", AuditLog.candidate_id == cid,
            AuditLog.action == "update")).scalars().one()
        assert audit.changes["grade"] == ["B", "A"] and audit.username == "henan_admin"


def test_a_few_thousand_rows(app, exam, province_admin):
    rows = [[number(i), "", "", subject, "ABCDE"[i % 5] if j < 9 else "合格"]
            for i in range(20, PEOPLE) for j, subject in enumerate(SUBJECTS)]
    assert len(rows) > 4000
    resp = upload(province_admin, exam, gbk_csv(rows))
    added, replaced, unchanged, bad = counts(resp)
    assert bad == 0 and added + replaced + unchanged == len(rows)
    with app.app_context():
        assert db.session.execute(select(func.count(BasicEduResult.id)).join(Candidate).where(
            Candidate.candidate_number.in_([number(i) for i in range(20, PEOPLE)]),
            BasicEduResult.part == "academic")).scalar() == len(rows)
    assert grades(app, 21)["01"] == "B" and grades(app, 21)["14"] == "P"


# --- scoping ----------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["zy_admin", "zz_admin"])
def test_counties_and_cities_cannot_import(app, exam, login, user):
    clear(app, 12)
    client = login(user)
    assert client.get("/gaokao/basic/").status_code in (302, 403)
    client.refresh_token("/gaokao/academic/list/")
    resp = client.post("/gaokao/basic/import", {
        "exam": str(exam), "part": "academic",
        "file": (io.BytesIO(gbk_csv([[number(12), "", "", "语文", "A"]])), "x.csv")},
        content_type="multipart/form-data")
    assert resp.status_code in (302, 403)
    assert grades(app, 12) == {}


def test_staff_lists_show_only_their_own_candidates(app, exam, province_admin, login):
    clear(app, 13, EQ)
    upload(province_admin, exam, gbk_csv([[number(13), "", "", "历史", "A"],
                                          [number(EQ), "", "", "历史", "B"]]))
    upload(province_admin, exam, gbk_csv([[number(13), "艺术素养", "A"],
                                          [number(EQ), "艺术素养", "B"]],
                                         header=["考生号", "维度", "等级"]), part="quality")
    zy = login("zy_admin")
    page = text(zy.get("/gaokao/academic/list/?_flt_0_candidate_id=" + number(13)))
    assert "学考13" in page and "历史" in page
    assert f"学考{EQ}" not in text(zy.get("/gaokao/academic/list/?_flt_0_candidate_id="
                                          + number(EQ)))
    assert "艺术素养" in text(zy.get("/gaokao/quality/list/?_flt_0_candidate_id=" + number(13)))
    with app.app_context():
        foreign = db.session.execute(select(BasicEduResult.id).join(Candidate).where(
            Candidate.candidate_number == number(EQ),
            BasicEduResult.part == "academic")).scalar_one()
        quality = db.session.execute(select(BasicEduResult.id).join(Candidate).where(
            Candidate.candidate_number == number(13),
            BasicEduResult.part == "quality")).scalar_one()
    assert zy.get(f"/gaokao/academic/show/{foreign}").status_code == 404
    # The academic list never serves a quality row (and the reverse).
    assert zy.get(f"/gaokao/academic/show/{quality}").status_code == 404
    assert login("zy_reviewer").get(f"/gaokao/quality/show/{quality}").status_code == 200
    assert login("zy_school").get("/gaokao/academic/list/").status_code in (302, 403)


def test_the_archive_parts_read_in_bulk(app, exam, province_admin):
    clear(app, 14, 15)
    upload(province_admin, exam, gbk_csv([[number(14), "", "", "地理", "A"]]))
    with app.test_request_context():
        states = archive.states_of([cand(app, 14)[0], cand(app, 15)[0]])
        assert states[cand(app, 14)[0]]["academic"] == archive.CONFIRMED
        assert states[cand(app, 14)[0]]["quality"] == archive.MISSING
        assert states[cand(app, 15)[0]]["academic"] == archive.MISSING
