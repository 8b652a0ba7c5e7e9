"""成人高考 scores and admissions (issue 18 item 10): the province's imports (GBK CSV with a
title row, XLSX with numeric cells), row-by-row refusals, re-import replacing with audit,
release switches and the candidate's status page before and after, scoped lists."""
import datetime as dt
import io
import itertools
import re
from html.parser import HTMLParser

from openpyxl import Workbook
from sqlalchemy import select

from app.adult.result_models import AdultAdmission, AdultScore
from app.adult.results import import_scores, parse_score
from app.audit import AuditLog
from app.candidates.models import Candidate, Preference
from app.candidates.registry_file import read_table
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.validators import make_id_number
from helpers import activate, exam_id, issue, me_login, text

_seq = itertools.count(101, 2)
_number = itertools.count(1)
SCORE_HEAD = ("考生号", "身份证号", "姓名", "语文", "数学", "外语", "综合", "政治", "专业基础课",
              "特征分", "总分", "档案分")
ADMISSION_HEAD = ("考生号", "身份证号", "院校代码", "院校名称", "专业代码", "专业名称", "层次",
                  "学习形式", "录取日期")


def make(app, point="BM410102", state="school_approved", level="01", track="2", major="07",
         name="成考生"):
    """A 2026 成人高考 candidate at ``point`` with a first preference; (id, 考生号, ID number)."""
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == point)).scalar_one()
        birth = dt.date(1994, 5, 6)
        number = f"26{node.parent.code}8{next(_number):05d}"
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=birth,
                         id_number=make_id_number(node.parent.code, birth, next(_seq)),
                         category=level, candidate_number=number, state=state,
                         phone="13700000000")
        cand.preferences.append(Preference(
            seq=1, level=level, track=None if level == "03" else track, major_category=major,
            study_form="3", school_code="10542", school_name="湖南师范大学", major_code="040101",
            major_name="教育学"))
        db.session.add(cand)
        db.session.commit()
        return cand.id, number, cand.id_number


def csv_file(head, rows, encoding="gbk", title=None):
    lines = ([title + "," * (len(head) - 1)] if title else []) + [",".join(head)]
    lines += [",".join(r) for r in rows]
    return io.BytesIO("\r\n".join(lines).encode(encoding)), "file.csv"


def xlsx_file(head, rows, title=None):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    ws.append(list(head))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf, "file.xlsx"


def upload(client, what, data, exam):
    client.refresh_token("/adult/results/")
    return client.post(f"/adult/results/import/{what}", {"exam": exam, "file": data},
                       content_type="multipart/form-data")


def score_of(app, cid):
    with app.app_context():
        s = db.session.execute(select(AdultScore).where(AdultScore.candidate_id == cid)
                               ).scalar_one_or_none()
        return None if s is None else {c: s.shown(c) for c in (
            "chinese", "mathematics", "foreign_language", "combined", "politics",
            "basic_course", "feature", "total", "archive_score")} | {"group": s.paper_group}


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def english_words(page):
    """Words of Latin letters in the visible text (codes in capitals, file types, the
    language menu's "English" and tokens holding digits or dots aside): a zh page shows none."""
    parser = _Visible()
    parser.feed(page)
    return {t for part in parser.parts for t in re.findall(r"[A-Za-z][A-Za-z0-9_.@/-]*", part)
            if not (t.isupper() or re.search(r"[\d_.@/-]", t) or t in ("English", "Excel", "xlsx", "csv"))}


def row_reasons(page):
    """{row number: reason text} of the report's rejected rows."""
    return {int(n): r for n, r in re.findall(
        r'<tr data-row="(\d+)"><td>\d+</td><td>[^<]*</td><td>([^<]*)</td>', page)}


# --- scores -----------------------------------------------------------------------------------


def test_score_values_are_parsed_strictly():
    assert parse_score("98") == 98 and str(parse_score("98.5")) == "98.5"
    assert parse_score("９８") == 98  # full-width digits from an IME
    for bad in ("", "abc", "-1", "150.1", "98.55", "1e2", "NaN"):
        assert parse_score(bad) is None, bad
    assert parse_score("20", 50) == 20 and parse_score("51", 50) is None


def test_score_file_gbk_with_title_row_checks_every_row(app, login):
    eid = exam_id(app, ADULT)
    science = make(app)  # 高起本 理工类: 语文, 数学（理）, 外语, 理化综合
    college = make(app, level="02", track="1")  # 高起专 文史类: 语文, 数学, 外语
    bachelor = make(app, level="03", major="09")  # 专升本 医学类: 政治, 外语, 医学综合
    draft = make(app, state="draft")
    rows = [
        (science[1], "", "甲", "100", "90.5", "80", "120", "", "", "20", "390.5", "410.5"),
        ("", college[2], "乙", "88", "77", "66", "", "", "", "", "231", ""),
        (bachelor[1], bachelor[2], "丙", "", "", "70", "", "60", "130", "0", "260", "260"),
        (draft[1], "", "丁", "88", "77", "66", "100", "", "", "", "331", ""),
        ("26410102099999", "", "戊", "88", "77", "66", "100", "", "", "", "331", ""),
        (science[1], "", "甲", "100", "90.5", "80", "120", "", "", "", "390.5", ""),  # again
    ]
    bad = [make(app) for _ in range(6)]
    rows += [
        (bad[0][1], "", "", "100", "90", "80", "120", "", "", "", "391", ""),  # sum is 390
        (bad[1][1], "", "", "100", "90", "80", "120", "50", "", "", "440", ""),  # 政治 extra
        (bad[2][1], "", "", "100", "90", "80", "", "", "", "", "270", ""),  # 综合 missing
        (bad[3][1], "", "", "151", "90", "80", "120", "", "", "", "441", ""),
        (bad[4][1], "", "", "100.25", "90", "80", "120", "", "", "", "390.25", ""),
        (bad[5][1], "", "", "100", "90", "80", "120", "", "", "10", "390", "380"),
        ("4.10102E+17", "", "", "100", "90", "80", "120", "", "", "", "390", ""),
    ]
    province = login("henan_admin")
    page = text(upload(province, "scores", csv_file(SCORE_HEAD, rows, title="2026年成人高考成绩"),
                       eid))
    assert "共 13 行：新增 3 条，替换 0 条，未变 0 条，拒绝 10 条" in page, page[-3000:]
    reasons = row_reasons(page)
    # File rows: title 1, header 2, data from 3.
    assert "未经现场确认" in reasons[6]
    assert "管辖范围内没有" in reasons[7]
    assert "第 3 行已包含该考生" in reasons[8]
    assert "总分 391.0 不等于各科成绩之和（390.0）" in reasons[9]
    assert "政治不是高起本 理工类的考试科目" in reasons[10]
    assert "缺少综合的成绩" in reasons[11] and "理化综合" in reasons[11]
    assert "不是 0 至 150 之间" in reasons[12] and "不是 0 至 150 之间" in reasons[13]
    assert "档案分 380.0 不等于总分 + 特征分（400.0）" in reasons[14]
    assert "Excel" in reasons[15]
    assert not english_words(page), english_words(page)
    assert score_of(app, science[0]) == {
        "chinese": "100", "mathematics": "90.5", "foreign_language": "80", "combined": "120",
        "politics": "", "basic_course": "", "feature": "20", "total": "390.5",
        "archive_score": "410.5", "group": "01-2"}
    assert score_of(app, college[0])["archive_score"] == "231"  # computed: 总分 + 0
    assert score_of(app, bachelor[0])["basic_course"] == "130"
    assert score_of(app, draft[0]) is None and score_of(app, bad[0][0]) is None
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.action == "scores", AuditLog.table_name == "ks_adult_score")
        ).scalars().all()[-1]
        assert audit.changes["recorded"] == 3 and audit.changes["rejected"] == 10
        assert audit.username == "henan_admin"


def test_score_xlsx_numeric_cells_and_reimport_replaces_with_audit(app, login):
    eid = exam_id(app, ADULT)
    cid, number, idn = make(app, level="02", track="1")
    other = make(app, level="02", track="1")
    province = login("henan_admin")
    rows = [(int(number), None, "甲", 88, 77.5, 66, None, None, None, None, 231.5, None),
            (None, int(other[2][:17] + "1"), "乙", 88, 77, 66, None, None, None, None, 231,
             None)]
    page = text(upload(province, "scores", xlsx_file(SCORE_HEAD, rows, "成绩"), eid))
    assert "新增 1 条" in page and "拒绝 1 条" in page, page[-2000:]
    assert "Excel" in row_reasons(page)[4]
    assert score_of(app, cid)["mathematics"] == "77.5"
    # The same file again: unchanged; a corrected one: replaced, before and after audited.
    page = text(upload(province, "scores", xlsx_file(SCORE_HEAD, rows[:1], "成绩"), eid))
    assert "新增 0 条，替换 0 条，未变 1 条" in page
    fixed = [(int(number), None, "甲", 88, 78, 66, None, None, None, 5, 232, 237)]
    page = text(upload(province, "scores", xlsx_file(SCORE_HEAD, fixed), eid))
    assert "替换 1 条" in page
    assert score_of(app, cid)["archive_score"] == "237"
    with app.app_context():
        change = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_adult_score", AuditLog.action == "update")
            .order_by(AuditLog.id.desc())).scalars().first()
        assert [float(v) for v in change.changes["mathematics"]] == [77.5, 78.0]


def test_import_refusals_and_who_may_import(app, login):
    eid = exam_id(app, ADULT)
    province = login("henan_admin")
    resp = upload(province, "scores", (io.BytesIO("姓名,语文\n张三,80\n".encode()), "x.csv"), eid)
    assert resp.status_code == 302
    page = text(province.get(resp.location))
    assert "文件缺少以下列" in page and "总分" in page
    resp = upload(province, "scores", (io.BytesIO(b"%PDF-1.4 binary"), "x.pdf"), eid)
    assert resp.status_code == 302
    # Counties and cities read the page, but neither import nor release.
    county = login("zy_admin")
    assert county.get("/adult/results/").status_code == 200
    assert 'id="upload-scores"' not in text(county.get("/adult/results/"))
    assert upload(county, "scores", csv_file(SCORE_HEAD, []), eid).status_code == 403
    county.refresh_token("/adult/results/")
    assert county.post("/adult/results/release", {"exam": eid, "what": "scores",
                                                  "on": "1"}).status_code == 403
    assert login("zy_point").get("/adult/results/").status_code == 403


def test_unknown_and_outside_the_subtree_read_the_same(app):
    """The import scopes by the importer's unit: a county importer (should one be given the
    permission) meets another county's candidate exactly as an unknown number."""
    inside = make(app)
    outside = make(app, point="BM410103")
    head = ",".join(SCORE_HEAD)
    rows = [f"{inside[1]},,,1,2,3,4,,,,10,", f"{outside[1]},,,1,2,3,4,,,,10,",
            "26410102077777,,,1,2,3,4,,,,10,"]
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)
                                  ).scalar_one()
        county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one()
        table = read_table("\n".join([head] + rows).encode("gbk"), "s.csv")
        report = import_scores(table, exam, county, None, "s.csv")
        assert report.recorded == 1
        reasons = {row: str(reason) for row, _shown, reason in report.rejected}
        assert reasons[3] == reasons[4]


# --- admissions -------------------------------------------------------------------------------


def test_admission_file_checks_levels_codes_and_dates(app, login):
    eid = exam_id(app, ADULT)
    high = make(app)  # 高起本: may be admitted to 高起专 too
    college = make(app, level="02", track="1")
    bachelor = make(app, level="03", major="04")
    bad = [make(app) for _ in range(4)]
    rows = [
        (high[1], "", "10542", "湖南师范大学", "040101", "教育学", "高起专", "函授", "2026-12-01"),
        (college[1], "", "10542", "湖南师范大学", "040101", "教育学", "01", "3", "2026/12/1"),
        ("", bachelor[2], "10533", "中南大学", "100201K", "临床医学", "专升本", "业余",
         "2026年12月2日"),
        (bad[0][1], "", "105", "某大学", "0401", "教育学", "高起本", "函授", "2026-12-01"),
        (bad[1][1], "", "10542", "", "0401", "教育学", "高起本", "函授", "2026-12-01"),
        (bad[2][1], "", "10542", "湖南师范大学", "0401", "教育学", "研究生", "函授", "2026-12-01"),
        (bad[3][1], "", "10542", "湖南师范大学", "0401", "教育学", "高起本", "函授", "2026-13-01"),
    ]
    province = login("henan_admin")
    page = text(upload(province, "admissions", csv_file(ADMISSION_HEAD, rows), eid))
    assert not english_words(page), english_words(page)
    assert "共 7 行：新增 2 条，替换 0 条，未变 0 条，拒绝 5 条" in page, page[-3000:]
    reasons = row_reasons(page)
    assert "高起专考生不能被录取为高起本" in reasons[3]
    assert "不是有效代码" in reasons[5] and "必须填写" in reasons[6]
    assert "研究生" in reasons[7] and "不是日期" in reasons[8]
    with app.app_context():
        adm = db.session.execute(select(AdultAdmission).where(
            AdultAdmission.candidate_id == bachelor[0])).scalar_one()
        assert (adm.institution_code, adm.major_code, adm.level, adm.study_form,
                adm.admitted_on) == ("10533", "100201K", "03", "2", dt.date(2026, 12, 2))
    # XLSX with a date cell replaces the 高起本 candidate's admission (one per candidate).
    xlsx = xlsx_file(ADMISSION_HEAD, [(int(high[1]), None, 10542, "湖南师范大学", "040102",
                                       "学前教育", "高起本", "脱产", dt.datetime(2026, 12, 5))])
    page = text(upload(province, "admissions", xlsx, eid))
    assert "替换 1 条" in page
    with app.app_context():
        adm = db.session.execute(select(AdultAdmission).where(
            AdultAdmission.candidate_id == high[0])).scalar_one()
        assert (adm.major_name, adm.level, adm.admitted_on) == ("学前教育", "01",
                                                                dt.date(2026, 12, 5))
        assert db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_adult_admission", AuditLog.action == "update")).first()


# --- release and the candidate's page ---------------------------------------------------------


def test_candidates_see_results_only_after_release(app, login, client):
    eid = exam_id(app, ADULT)
    cid, number, idn = make(app, level="02", track="1")
    province = login("henan_admin")
    upload(province, "scores", csv_file(SCORE_HEAD, [
        (number, "", "", "81", "72", "63", "", "", "", "20", "216", "")]), eid)
    upload(province, "admissions", csv_file(ADMISSION_HEAD, [
        (number, "", "10542", "湖南师范大学", "040101", "教育学", "高起专", "函授",
         "2026-12-01")]), eid)
    code = issue(login("zy_admin"), cid)
    assert activate(client, idn, code).status_code == 302
    me_login(client, idn)
    page = text(client.get("/me/"))
    assert 'id="adult-results"' not in page and "216" not in page

    def switch(what, on):
        province.refresh_token(f"/adult/results/?exam={eid}")
        resp = province.post("/adult/results/release", {"exam": eid, "what": what,
                                                        "on": "1" if on else "0"})
        assert resp.status_code == 302

    switch("scores", True)
    page = text(client.get("/me/"))
    assert 'id="my-scores"' in page and "档案分" in page and "236" in page
    assert 'id="my-admission"' not in page and "湖南师范大学" not in page
    switch("admission", True)
    page = text(client.get("/me/"))
    assert 'id="my-admission"' in page and "湖南师范大学" in page and "函授" in page
    switch("scores", False)
    page = text(client.get("/me/"))
    assert 'id="my-scores"' not in page and "湖南师范大学" in page
    staff_page = text(province.get(f"/adult/results/?exam={eid}"))
    assert 'id="release-scores" data-released="no"' in staff_page
    assert 'id="release-admission" data-released="yes"' in staff_page
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_adult_result_release")).first()
    switch("admission", False)


def test_lists_are_scoped_and_another_county_gets_404(app, login):
    eid = exam_id(app, ADULT)
    own = make(app, level="02", track="1", name="中原考生")
    foreign = make(app, point="BM410103", level="02", track="1", name="二七考生")
    province = login("henan_admin")
    upload(province, "scores", csv_file(SCORE_HEAD, [
        (own[1], "", "", "81", "72", "63", "", "", "", "", "216", ""),
        (foreign[1], "", "", "80", "70", "60", "", "", "", "", "210", "")]), eid)
    upload(province, "admissions", csv_file(ADMISSION_HEAD, [
        (own[1], "", "10542", "湖南师范大学", "040101", "教育学", "高起专", "函授", "2026-12-01"),
        (foreign[1], "", "10533", "中南大学", "040101", "教育学", "高起专", "函授",
         "2026-12-01")]), eid)
    county = login("zy_admin")
    scores = text(county.get(f"/adult/results/scores?exam={eid}"))
    assert f'data-candidate="{own[0]}"' in scores and f'data-candidate="{foreign[0]}"' not in scores
    admissions = text(county.get(f"/adult/results/admissions?exam={eid}"))
    assert "中原考生" in admissions and "二七考生" not in admissions
    narrowed = text(province.get(f"/adult/results/admissions?exam={eid}&institution=10533"))
    assert "二七考生" in narrowed and "中原考生" not in narrowed
    page = county.get(f"/adult/results/candidate/{own[0]}")
    assert page.status_code == 200 and "216" in text(page) and "湖南师范大学" in text(page)
    for shown in (scores, admissions, narrowed, text(page)):
        assert not english_words(shown), english_words(shown)
    assert county.get(f"/adult/results/candidate/{foreign[0]}").status_code == 404
    assert login("eq_admin").get(f"/adult/results/candidate/{own[0]}").status_code == 404
    with app.app_context():
        zz = db.session.execute(select(Candidate.id).join(Exam).where(
            Exam.kind != ADULT)).scalars().first()
    assert province.get(f"/adult/results/candidate/{zz}").status_code == 404


def approve_bonus(app, cid, points, kind="1"):
    from app.adult.exemption_models import AdultBonus

    with app.app_context():
        db.session.add(AdultBonus(candidate_id=cid, state="approved", kind=kind, points=points))
        db.session.commit()


def test_an_empty_feature_score_is_the_approved_bonus(app, login):
    eid = exam_id(app, ADULT)
    with_bonus = make(app, level="02", track="1")
    without = make(app, level="02", track="1")
    given = make(app, level="02", track="1")
    approve_bonus(app, with_bonus[0], 20)
    approve_bonus(app, given[0], 10, kind="5")
    rows = [(with_bonus[1], "", "", "88", "77", "66", "", "", "", "", "231", ""),
            (without[1], "", "", "88", "77", "66", "", "", "", "", "231", ""),
            (given[1], "", "", "88", "77", "66", "", "", "", "15", "231", "")]
    resp = upload(login("henan_admin"), "scores", csv_file(SCORE_HEAD, rows), eid)
    assert resp.status_code in (200, 302)
    assert score_of(app, with_bonus[0])["feature"] in ("20", "20.0")
    assert score_of(app, with_bonus[0])["archive_score"] in ("251", "251.0")
    assert score_of(app, without[0])["feature"] in ("0", "0.0")
    # A value in the province's file stands.
    assert score_of(app, given[0])["feature"] in ("15", "15.0")


def test_files_keyed_by_admission_ticket_number_match_the_ticket_holder(app, login):
    """National score files name candidates by 准考证号 (a self-registered candidate may have no
    考生号): a row with the ticket number alone matches its holder; a ticket number and an ID
    number of two different candidates match nobody; an unknown ticket is refused."""
    from app.printing.models import AdmissionTicket

    eid = exam_id(app, ADULT)
    cid, _number, idn = make(app, level="02", track="1", name="凭准考证")
    other = make(app, level="02", track="1", name="另一考生")
    with app.app_context():
        holders = ((cid, "261010201010101"), (other[0], "261010201010102"))
        for n, (who, ticket) in enumerate(holders):
            db.session.add(AdmissionTicket(candidate_id=who, ticket_number=ticket,
                                           site="郑州市第一中学", room=f"{n + 1:02d}", seat="01"))
        db.session.commit()
    head = ("准考证号", "身份证号", "语文", "数学", "外语", "总分")
    rows = [("261010201010101", "", "80", "70", "60", "210"),
            ("261010201010102", idn, "81", "71", "61", "213"),
            ("261010201019999", "", "82", "72", "62", "216")]
    province = login("henan_admin")
    page = upload(province, "scores", csv_file(head, rows, title="2026年成人高考成绩"), eid)
    page = text(page)
    assert "新增 1 条" in page and "拒绝 2 条" in page, page[-1500:]
    reasons = row_reasons(page)
    assert "准考证号" in reasons[4] and "准考证号" in reasons[5]
    assert score_of(app, cid)["total"] == "210"
    assert score_of(app, other[0]) is None
