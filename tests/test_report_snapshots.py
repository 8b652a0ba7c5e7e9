"""Data reports carry data (issue 19 part 1): a report freezes the records of its unit and exam,
the receiver reads them with a diff against the unit's previous accepted report, and a record
changed after its report was accepted is flagged for both levels until a new report covers it.

One round trip county → city → province, then a second round after a phone number changed and
a record was added. The module builds its own database and exam.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.models import Candidate, Guardian
from app.codes import ZHONGZHAO
from app.extensions import db
from app.jurisdiction import Node
from app.points.models import DataSubmission, ReportRecord
from app.review.models import Qualification
from factories import make_candidate, make_exam, make_user
from helpers import act, text

YEAR = 2032


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("report_snapshots") as app:
        app.exam = make_exam(app, ZHONGZHAO, YEAR, "上报快照测试考试")
        yield app


def candidate(app, school, name, phone):
    return make_candidate(app, school, year=YEAR, name=name, phone=phone,
                          state="county_approved", guardian="考生家长")


def change(app, cid, **fields):
    """A correction made after the report (the review's reject → correct → approve is tested
    with the review; here the data simply changes)."""
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        for key, value in fields.items():
            setattr(cand, key, value)
        db.session.commit()


def reports(app, unit):
    with app.app_context():
        return db.session.execute(select(DataSubmission.id).join(Node).where(
            Node.code == unit, DataSubmission.exam_id == app.exam)
            .order_by(DataSubmission.id)).scalars().all()


def report_of(app, unit):
    return reports(app, unit)[-1]


def submit(client, app):
    client.refresh_token(f"/data-reports/submit?exam={app.exam}")
    return text(client.post("/data-reports/submit", {"exam": app.exam}, follow_redirects=True))


def show(client, pk, view=None):
    resp = client.get(f"/data-reports/show/{pk}" + (f"?view={view}" if view else ""))
    assert resp.status_code == 200, resp.status_code
    return text(resp)


def badges(page):
    """{view: n} of the view pills of a report page."""
    block = page[page.index('id="report-views"'):]
    block = block[:block.index("</ul>")]
    return {k: int(n) for k, n in re.findall(
        r"view=(\w+)#report-contents\">[^<]*<span class=\"badge\">(\d+)</span>", block)}


@pytest.fixture(scope="module")
def people(app):
    """Records of the three counties of 郑州市 and of a city-level school."""
    make_user(app, "410105", "county_admin", username="js_admin")
    return {
        "zy_a": candidate(app, "41010201", "快照甲", "13800000001"),
        "zy_b": candidate(app, "41010202", "快照乙", "13800000002"),
        "eq": candidate(app, "41010301", "快照丙", "13800000003"),
        "city": candidate(app, "410100S1", "快照丁", "13800000004"),
    }


def ensure_round_trip(app, login, people):
    """The county → city → province round trip, run once per module by whichever test needs
    it first (the tests run in random order; the later ones read its reports)."""
    if not people.get("round_trip_done"):
        _round_trip(app, login, people)
        people["round_trip_done"] = True


def test_round_trip_with_a_changed_phone_and_a_new_record(app, login, people):
    ensure_round_trip(app, login, people)
    assert people["round_trip_done"]


def _round_trip(app, login, people):
    zy, eq, js = login("zy_admin"), login("eq_admin"), login("js_admin")
    zz, henan = login("zz_admin"), login("henan_admin")

    # --- first round: everything is new ---------------------------------------------------
    assert "中原区的数据已上报" in submit(zy, app)
    r1 = report_of(app, "410102")
    with app.app_context():
        frozen = db.session.execute(select(ReportRecord).where(
            ReportRecord.report_id == r1)).scalars().all()
        assert {r.candidate_id for r in frozen} == {people["zy_a"], people["zy_b"]}
        row = next(r for r in frozen if r.candidate_id == people["zy_a"])
        assert (row.phone, row.guardians.split("\x1f")[0]) == ("13800000001", "考生家长")
    page = show(zz, r1)
    assert "快照甲" in page and "快照乙" in page and "13800000001" in page
    assert "该单位此前没有被接收的上报：所有记录均为新增" in page
    assert badges(page)["added"] == 2 and badges(page)["since"] == 0
    act(zz, "data-reports", "city_accept", [r1])
    for county in (eq, js):
        submit(county, app)
    act(zz, "data-reports", "city_accept", [report_of(app, "410103"), report_of(app, "410105")])
    assert "郑州市的数据已上报" in submit(zz, app)
    c1 = report_of(app, "410100")
    page = show(henan, c1)
    assert badges(page)["added"] == 4  # three counties' records and the city's own school
    act(henan, "data-reports", "province_accept", [c1])

    # --- a change after acceptance flags the record, for both levels --------------------------
    change(app, people["zy_a"], phone="13911112222")
    for client, pk in ((zy, r1), (zz, r1), (zz, c1), (henan, c1)):
        page = show(client, pk)
        assert 'id="report-since"' in page, pk
        assert badges(page)["since"] == 1
    page = show(zz, r1, "since")
    assert "快照甲" in page and "13800000001" in page and "13911112222" in page
    assert "快照乙" not in page
    cand_page = text(zy.get(f"/candidateview/show/{people['zy_a']}"))
    assert 'id="ks-changed-since"' in cand_page and "上报后已更改" in cand_page
    assert 'id="ks-changed-since"' not in text(zy.get(f"/candidateview/show/{people['zy_b']}"))

    # A review step is not a change of data: no flag.
    change(app, people["zy_b"], state="city_approved")
    assert badges(show(zz, r1))["since"] == 1

    # The city forwards only what it accepted: refused while 中原区 differs from its report.
    henan_return = act(henan, "data-reports", "province_return", [c1], reason="中原区数据有变更")
    assert "中原区数据有变更" in text(zz.get(f"/data-reports/show/{c1}"))
    assert henan_return
    page = submit(zz, app)
    assert "中原区：1 条已更改，0 条新增，0 条删除" in page
    assert len(reports(app, "410100")) == 1

    # --- second round: the county reports the change and a new record --------------------------
    act(zz, "data-reports", "city_return", [r1], reason="请补报变更")
    new = candidate(app, "41010201", "快照戊", "13800000005")
    submit(zy, app)
    r2 = report_of(app, "410102")
    page = show(zz, r2)
    assert badges(page) == {"added": 1, "removed": 0, "changed": 1, "since": 0}
    added = show(zz, r2, "added")
    assert "快照戊" in added and "快照甲" not in added
    changed = show(zz, r2, "changed")
    row = re.search(r"<td>手机号码</td><td class=\"ks-before\">(\d*)</td>"
                    r"<td class=\"ks-after\">(\d*)</td>", changed)
    assert row and row.groups() == ("13800000001", "13911112222")
    assert "快照乙" not in changed  # its review state moved, its data did not
    # The new report covers the change: no flag on the record any more.
    assert 'id="ks-changed-since"' not in text(zy.get(f"/candidateview/show/{people['zy_a']}"))

    act(zz, "data-reports", "city_accept", [r2])
    assert "郑州市的数据已上报" in submit(zz, app)
    c2 = report_of(app, "410100")
    page = show(henan, c2)
    assert badges(page) == {"added": 1, "removed": 0, "changed": 1, "since": 0}
    assert "13911112222" in show(henan, c2, "changed")
    act(henan, "data-reports", "province_accept", [c2])
    assert new in {int(x) for x in re.findall(r'data-candidate="(\d+)"', show(henan, c2))}

    # Every step is in the audit trail.
    with app.app_context():
        audited = db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == "ks_data_submission", AuditLog.row_id == r1)
            .order_by(AuditLog.id)).scalars().all()
    assert audited == ["insert", "update", "update"]  # submitted, accepted, returned


def test_parts_of_the_record_count_as_its_data(app, login, people):
    """Guardians and 优惠 are frozen with the record; an approval of the 优惠 is not a change."""
    ensure_round_trip(app, login, people)
    zz = login("zz_admin")
    c2 = report_of(app, "410100")
    assert badges(show(zz, c2))["since"] == 0
    with app.app_context():
        db.session.add(Qualification(candidate_id=people["eq"], kind="ethnic_bonus"))
        db.session.commit()
    page = show(zz, c2, "since")
    assert "快照丙" in page and "少数民族照顾" in page
    with app.app_context():
        q = db.session.execute(select(Qualification).where(
            Qualification.candidate_id == people["eq"])).scalar_one()
        q.state = "county_approved"
        db.session.add(Guardian(candidate_id=people["city"], name="新家长", relation="52"))
        db.session.commit()
    assert badges(show(zz, c2))["since"] == 2
    assert "新家长（母亲）" in show(zz, c2, "since")


def test_other_counties_never_see_a_report_or_its_records(app, login, people):
    ensure_round_trip(app, login, people)
    r = report_of(app, "410102")
    eq = login("eq_admin")
    assert eq.get(f"/data-reports/show/{r}").status_code == 404
    assert eq.get(f"/data-reports/show/{r}?view=since").status_code == 404
    listing = text(eq.get("/data-reports/records/list/"))
    assert "快照甲" not in listing and "中原区" not in listing
    # A county reads its own report's records on the candidate's tab, not the city's report.
    page = text(login("zy_admin").get(f"/candidateview/show/{people['zy_a']}"))
    assert f'data-report="{r}"' in page
    assert f'data-report="{report_of(app, "410100")}"' not in page
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ReportRecord).where(
            ReportRecord.report_id == r)).scalar() == 3


def test_diff_pages(app, login, people):
    """A report's views are paginated; an unknown view or page falls back to the first."""
    ensure_round_trip(app, login, people)
    zz = login("zz_admin")
    r = report_of(app, "410102")
    page = show(zz, r, "nonsense")
    assert 'id="report-records"' in page and "快照戊" in page
    assert "快照甲" not in text(zz.get(f"/data-reports/show/{r}?view=contents&page=1"))
    assert zz.get(f"/data-reports/show/{r}?page=x").status_code == 200


def test_a_report_made_outside_the_reporting_window_freezes_nothing(app, login):
    from factories import make_phase

    exam = make_exam(app, ZHONGZHAO, YEAR + 1, "窗口外上报考试")
    now = dt.datetime.now()
    make_phase(app, exam, "bonus_entry", now + dt.timedelta(days=3), now + dt.timedelta(days=9),
               name="数据上报")
    zy = login("zy_admin")
    zy.refresh_token(f"/data-reports/submit?exam={exam}")
    page = text(zy.post("/data-reports/submit", {"exam": exam}, follow_redirects=True))
    assert "数据上报" in page and "已上报" not in page
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(DataSubmission).where(
            DataSubmission.exam_id == exam)).scalar() == 0
