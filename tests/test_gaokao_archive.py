"""The 高考 electronic archive through HTTP: one page per candidate with every registered part
and its state (registration, integrity records …), scoped (the sibling county answers 404);
the completeness report per unit whose counts change as parts are confirmed, its drill-down
to the incomplete candidates (paged) and its CSV exports; the integrity part; the bulk counting
(one GROUP BY query) agreeing with the chunked fallback.

The module builds its own database: its candidates must not change other modules' counts.
"""
import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.candidates.models import Candidate
from app.codes import GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import archive, archive_report
from app.gaokao.models import IntegrityRecord
from app.gaokao.registration_models import GaokaoRegistration
from app.jurisdiction import Node
from app.validators import make_id_number
from helpers import text

ZY_SCHOOL, ZY2_SCHOOL, EQ_SCHOOL = "41010201", "41010202", "41010301"
#: key → (school, 考生号, registration state or None)
PEOPLE = {"a": (ZY_SCHOOL, "26410102660001", "entered"),
          "b": (ZY_SCHOOL, "26410102660002", "confirmed"),
          "c": (ZY_SCHOOL, "26410102660003", None),
          "d": (EQ_SCHOOL, "26410103660001", "confirmed")}
NAMES = {"a": "甲档案", "b": "乙档案", "c": "丙档案", "d": "丁邻县"}


@pytest.fixture(scope="module")
def app(module_app):
    """A unit of its own (a new school under 中原区) holding only the module's candidates, so
    the counts are exact whatever the demo seeds elsewhere."""
    def people(app):
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)
                                  ).scalar_one()
        county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one()
        own = Node(code="41010299", name="中原区档案测试中学", kind="school", parent=county,
                   path=county.path + "41010299/", active=True)
        db.session.add(own)
        for i, (key, (school, number, state)) in enumerate(PEOPLE.items()):
            node = own if school == ZY_SCHOOL else db.session.execute(
                select(Node).where(Node.code == school)).scalar_one()
            birth = dt.date(2008, 6, 1 + i)
            cand = Candidate(exam=exam, node=node, name=NAMES[key], gender="2",
                             birth_date=birth, category="01", candidate_number=number,
                             id_number=make_id_number(school[:6], birth, 661 + i))
            db.session.add(cand)
            if state:
                db.session.add(GaokaoRegistration(
                    candidate=cand, exam_id=exam.id, registration_number=number,
                    graduation_kind="1", exam_type="1", hukou_type="2",
                    school_code=school, application_kind="1", fee_state="1",
                    fee_amount=120, paid_at=dt.datetime(2025, 11, 10, 9), state=state,
                    confirmed_at=dt.datetime(2025, 11, 20) if state == "confirmed" else None))

    with module_app("greg_archive", people) as app:
        yield app


def ids(app):
    with app.app_context():
        rows = db.session.execute(select(Candidate.name, Candidate.id).where(
            Candidate.name.in_(NAMES.values()))).all()
        own = db.session.execute(select(Node.id).where(Node.code == "41010299")).scalar_one()
        county = db.session.execute(select(Node.id).where(Node.code == "410102")).scalar_one()
        exam = db.session.execute(select(Exam.id).where(Exam.kind == GAOKAO,
                                                        Exam.year == 2026)).scalar_one()
    by_name = dict(rows)
    return {k: by_name[n] for k, n in NAMES.items()}, own, county, exam


@pytest.fixture
def only_own_parts(monkeypatch):
    """The registry holding only this helper's parts (registration, integrity), so a
    candidate can be complete whatever other parts exist."""
    kept = {k: p for k, p in archive._PARTS.items() if k in ("registration", "integrity")}
    monkeypatch.setattr(archive, "_PARTS", kept)


def row_of(page, unit):
    """{column class: value} of the report row of ``unit`` (a code or "total")."""
    import re
    found = re.search(r'<tr data-unit="%s"[^>]*>(.*?)</tr>' % unit, page, re.S)
    assert found, unit
    cells = re.findall(r'<t[dh] class="([^"]+)">(?:<a [^>]*>)?(\d+)', found.group(1))
    return {cls: int(value) for cls, value in cells}


def test_archive_page_shows_every_part_with_its_state(app, login):
    people, *_ = ids(app)
    page = text(login("zy_admin").get(f"/gaokao/archive/{people['a']}"))
    assert NAMES["a"] in page and "26410102660001" in page
    assert "报名信息" in page and "考试诚信记录" in page
    assert 'data-state="entered">已录入，未确认' in page
    assert "报名号 26410102660001" in page
    assert 'data-state="not_required">不适用' in page and "无违规记录" in page
    missing = text(login("zy_reviewer").get(f"/gaokao/archive/{people['c']}"))
    assert 'data-state="missing">缺失' in missing
    assert "不完整" in missing


def test_archive_page_is_scoped_and_for_gaokao_only(app, login):
    people, *_ = ids(app)
    assert login("eq_admin").get(f"/gaokao/archive/{people['a']}").status_code == 404
    assert login("zy_admin").get(f"/gaokao/archive/{people['d']}").status_code == 404
    assert login("henan_auditor").get(f"/gaokao/archive/{people['d']}").status_code == 200
    with app.app_context():
        zhongzhao = db.session.execute(select(Candidate.id).join(Exam).join(Node).where(
            Exam.kind == ZHONGZHAO, Node.code == "41010201").order_by(Candidate.id)
        ).scalars().first()
    assert login("zy_admin").get(f"/gaokao/archive/{zhongzhao}").status_code == 400


def test_candidate_page_links_to_the_archive(app, login):
    people, *_ = ids(app)
    page = text(login("zy_admin").get(f"/candidateview/show/{people['a']}"))
    assert f"/gaokao/archive/{people['a']}" in page


def test_integrity_records_show_in_the_archive(app, login):
    people, *_ = ids(app)
    with app.app_context():
        db.session.add(IntegrityRecord(candidate_id=people["b"], occurred_on=dt.date(2026, 6, 7),
                                       kind="01", description="携带手机进入考场",
                                       decision="当次该科目成绩无效"))
        db.session.commit()
    page = text(login("zy_admin").get(f"/gaokao/archive/{people['b']}"))
    assert "1 条记录：考试违纪" in page
    assert 'data-state="confirmed">已确认' in page


def test_report_counts_change_when_a_part_is_confirmed(app, login, only_own_parts):
    people, own, county, exam = ids(app)
    admin = login("zy_admin")
    url = f"/gaokao/archive/report?exam={exam}&node={county}"
    before = row_of(text(admin.get(url)), "41010299")
    assert before == {"ks-total": 3, "ks-complete": 1, "ks-incomplete": 2,
                      "ks-missing-registration": 1, "ks-entered-registration": 1,
                      "ks-missing-integrity": 0, "ks-entered-integrity": 0}
    # 甲档案's registration is confirmed by the county office.
    with app.app_context():
        reg = db.session.execute(select(GaokaoRegistration.id).where(
            GaokaoRegistration.candidate_id == people["a"])).scalar_one()
    resp = admin.post(f"/gaokao/registration/move/{reg}/confirm")
    assert resp.status_code == 302
    after = row_of(text(admin.get(url)), "41010299")
    assert after["ks-complete"] == 2 and after["ks-incomplete"] == 1
    assert after["ks-entered-registration"] == 0 and after["ks-missing-registration"] == 1
    total = row_of(text(admin.get(url)), "total")
    assert total["ks-total"] >= 3
    # The unit's own report (a leaf) and its drill-down list the one incomplete candidate.
    listing = text(admin.get(f"/gaokao/archive/incomplete?exam={exam}&node={own}"))
    assert NAMES["c"] in listing and NAMES["a"] not in listing and NAMES["b"] not in listing
    # Withdrawn again by the county office: the counts go back.
    admin.post(f"/gaokao/registration/move/{reg}/withdraw", {"reason": "核对有误"})
    assert row_of(text(admin.get(url)), "41010299") == before


def test_bulk_counts_agree_with_the_chunked_fallback(app, only_own_parts, monkeypatch):
    people, own, county, exam = ids(app)
    with app.test_request_context():
        node = db.session.get(Node, county)
        total, rows = archive_report.unit_rows(node, exam)
        sql = {r.code: (r.total, r.complete, r.parts) for r in rows}
        # The same report with the registration part lacking its SQL expression.
        part = archive._PARTS["registration"]
        monkeypatch.setitem(archive._PARTS, "registration",
                            archive.ArchivePart(part.key, part.order, part.label, part.states,
                                                part.link, part.summary))
        total2, rows2 = archive_report.unit_rows(node, exam)
        assert {r.code: (r.total, r.complete, r.parts) for r in rows2} == sql
        assert (total.total, total.complete) == (total2.total, total2.complete)
        chunked = list(archive_report.iter_incomplete_ids(node, exam, "registration"))
        monkeypatch.setitem(archive._PARTS, "registration", part)
        assert list(archive_report.iter_incomplete_ids(node, exam, "registration")) == chunked


def test_report_counts_one_query_per_unit_level(app, only_own_parts):
    from sqlalchemy import event

    _people, _own, county, exam = ids(app)
    with app.test_request_context():
        seen = []
        engine = db.engine
        listen = lambda *a, **k: seen.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            archive_report.unit_rows(db.session.get(Node, county), exam)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
    # the children, then one GROUP BY for the children's subtrees and one for the unit itself
    assert len([s for s in seen if "GROUP BY" in s]) == 2, seen


def test_drill_down_is_paged(app, login):
    _people, _own, county, exam = ids(app)
    admin = login("zy_admin")
    page = text(admin.get(f"/gaokao/archive/incomplete?exam={exam}&node={county}"))
    shown = page.count("data-candidate=")
    assert 0 < shown <= archive_report.PAGE_SIZE
    with app.app_context():
        incomplete = len(list(archive_report.iter_incomplete_ids(
            db.session.get(Node, county), exam)))
    if incomplete > archive_report.PAGE_SIZE:
        assert "下一页" in page
        assert admin.get(f"/gaokao/archive/incomplete?exam={exam}&node={county}&page=1"
                         ).status_code == 200
    assert admin.get(f"/gaokao/archive/incomplete?exam={exam}&node={county}&part=nope"
                     ).status_code == 400


def test_report_is_scoped(app, login):
    _people, own, county, exam = ids(app)
    eq = login("eq_admin")
    assert eq.get(f"/gaokao/archive/report?exam={exam}&node={county}").status_code == 404
    assert eq.get(f"/gaokao/archive/incomplete?exam={exam}&node={own}").status_code == 404
    assert eq.get(f"/gaokao/archive/report.csv?exam={exam}&node={own}").status_code == 404
    assert eq.get(f"/gaokao/archive/incomplete.csv?exam={exam}&node={own}").status_code == 404
    # Own report: the sibling's candidates are not counted.
    page = text(eq.get(f"/gaokao/archive/report?exam={exam}"))
    assert "二七区" in page and "中原区档案测试中学" not in page


def test_csv_exports(app, login, only_own_parts):
    _people, own, county, exam = ids(app)
    admin = login("zy_admin")
    resp = admin.get(f"/gaokao/archive/report.csv?exam={exam}&node={county}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["单位代码", "单位", "考生人数", "完整", "不完整"]
    assert "报名信息：缺失" in rows[0]
    own_row = next(r for r in rows if r[0] == "41010299")
    assert own_row[1] == "中原区档案测试中学" and int(own_row[2]) == 3
    assert rows[-1][1].startswith("合计")
    resp = admin.get(f"/gaokao/archive/incomplete.csv?exam={exam}&node={own}")
    listed = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert listed[0][:3] == ["考生号", "姓名", "单位"]
    names = {r[1] for r in listed[1:]}
    assert NAMES["c"] in names and NAMES["d"] not in names
    c_row = next(r for r in listed if r[1] == NAMES["c"])
    assert "缺失" in c_row


def test_report_reads_in_chinese(app, login):
    _people, _own, county, exam = ids(app)
    page = text(login("zy_admin").get(f"/gaokao/archive/report?exam={exam}&node={county}"))
    for word in ("电子档案完整性统计", "完整", "不完整", "缺失", "未确认", "导出统计表"):
        assert word in page, word


def test_demo_has_gaokao_candidates_and_seeding_is_idempotent(app):
    from app.gaokao.demo import PER_SCHOOL, seed_gaokao

    with app.app_context():
        schools = db.session.execute(select(func.count()).select_from(Node).where(
            Node.kind == "school", Node.code != "41010299")).scalar()
        count = select(func.count()).select_from(Candidate).join(Exam).where(
            Exam.kind == GAOKAO, Candidate.candidate_number.notlike("%6600%"))
        before = db.session.execute(count).scalar()
        assert before >= schools * PER_SCHOOL
        states = dict(db.session.execute(select(GaokaoRegistration.state, func.count())
                                         .group_by(GaokaoRegistration.state)).all())
        assert states.get("confirmed", 0) >= schools and states.get("entered", 0) >= schools
        assert seed_gaokao() == 0 and db.session.execute(count).scalar() == before
        db.session.rollback()


def _english_words(html):
    """Latin words of the visible text (codes in capitals, user names — "system" writes the
    module's own rows —, numbers and file names are not words of the interface)."""
    import re
    from html.parser import HTMLParser

    class Visible(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")
            self.parts += [v for k, v in attrs if k in ("title", "placeholder") and v]

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = Visible()
    parser.feed(html)
    return {t for part in parser.parts for t in re.findall(r"[A-Za-z][A-Za-z0-9_.@/-]*", part)
            if not (t.isupper() or re.search(r"[\d_.@/-]", t) or t in ("English", "CSV", "system"))}


def test_archive_pages_have_no_english(app, login):
    people, own, county, exam = ids(app)
    admin = login("zy_admin")
    with app.app_context():
        reg = db.session.execute(select(GaokaoRegistration.id).where(
            GaokaoRegistration.candidate_id == people["a"])).scalar_one()
    for url in (f"/gaokao/archive/{people['a']}", f"/gaokao/archive/{people['c']}",
                f"/gaokao/archive/report?exam={exam}&node={county}",
                f"/gaokao/archive/incomplete?exam={exam}&node={county}",
                f"/gaokao/registration/show/{reg}", f"/gaokao/registration/edit/{reg}",
                "/gaokao/registration/add", "/gaokao/registration/list/",
                f"/candidateview/show/{people['a']}"):
        resp = admin.get(url)
        assert resp.status_code == 200, url
        assert _english_words(text(resp)) == set(), url
