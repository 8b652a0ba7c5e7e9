"""Point proposals (报名确认点申报) and data reporting (数据上报): the rule tables, then every
path through HTTP, refusals and the sibling county included.

The module builds its own database: it sets up points and exams that other modules' counts
and eligibility lists must not see.
"""
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.validators import InvalidValue, make_id_number
from app.codes import ADULT, ZHONGZHAO
from app.extensions import db
from app.jurisdiction import COUNTY, Node
from app.phases.models import Phase
from app.points import rules, workflow
from app.points.models import DataSubmission, PointProposal
from factories import make_exam
from helpers import act, exam_id, text

_seq = itertools.count(101, 2)
_codes = itertools.count(1)
REPORT_YEAR = 2031  # the 中招 exam of this module's reporting tests


# --- the rules, without a request ------------------------------------------------------------

def test_proposal_table():
    table = workflow.PROPOSAL_TRANSITIONS
    assert table["propose"].roles == ("county_admin",)
    assert table["propose"].activity == "point_setup"
    assert set(table["propose"].from_states) == {None, "proposed", "rejected"}
    assert table["city_approve"].from_states == ("proposed",)
    assert table["city_approve"].to_state == "city_approved"
    assert table["province_approve"].from_states == ("city_approved",)
    assert table["province_approve"].roles == ("province_admin",)
    assert table["city_reject"].needs_reason and table["province_reject"].needs_reason
    assert not table["city_approve"].needs_reason
    assert "propose" not in workflow.PROPOSAL_ACTIONS and "withdraw" in workflow.PROPOSAL_ACTIONS
    # Only the province's approval leads to the state in which the point exists.
    assert [a for a, t in table.items() if t.to_state == rules.APPROVED] == ["province_approve"]
    assert set(rules.PENDING) == {"proposed", "city_approved"}


def test_submission_table():
    table = workflow.SUBMISSION_TRANSITIONS
    assert table["submit"].roles == ("county_admin", "city_admin")
    assert rules.SentBy("county") in table["city_accept"].guards
    assert rules.SentBy("city") in table["province_accept"].guards
    assert table["city_return"].from_states == ("submitted", "accepted")
    assert table["city_return"].needs_reason and table["province_return"].needs_reason
    assert "submit" not in workflow.SUBMISSION_ACTIONS


def test_level_refusal():
    step = workflow.SUBMISSION_TRANSITIONS["city_accept"]
    assert rules.level_refusal(step, COUNTY, "中原区") is None
    assert "郑州市" in str(rules.level_refusal(step, "city", "郑州市"))
    assert rules.level_refusal(workflow.SUBMISSION_TRANSITIONS["submit"], "city", "郑州市") is None


def test_adult_fields_refusal():
    assert rules.adult_fields_refusal(ADULT, ["01", "03"], True, True) is None
    assert rules.adult_fields_refusal(ADULT, [], False, False) is None
    assert "99" in str(rules.adult_fields_refusal(ADULT, ["01", "99"], False, False))
    assert rules.adult_fields_refusal(ZHONGZHAO, [], False, False) is None
    assert rules.adult_fields_refusal(ZHONGZHAO, ["01"], False, False)
    assert rules.adult_fields_refusal(ZHONGZHAO, [], True, False)
    assert rules.adult_fields_refusal(ZHONGZHAO, [], False, True)


@pytest.mark.parametrize("value,expected", [
    ("0371-67891234", "0371-67891234"), ("037167891234", "037167891234"),
    ("010-12345678-123", "010-12345678-123"), (" 0371 - 67891234 ", "0371-67891234"),
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
])
def test_point_phone_accepts(value, expected):
    assert rules.validate_point_phone(value) == expected


@pytest.mark.parametrize("value", ["67891234", "12345", "0371-123", "abc", "23800138000"])
def test_point_phone_refuses(value):
    with pytest.raises(InvalidValue):
        rules.validate_point_phone(value)


def test_unreviewed_and_missing_counties_refusals():
    ok = {"draft": 0, "confirmed": 0, "rejected": 0, "school_approved": 4}
    assert rules.unreviewed_refusal("中原区", ok) is None
    message = str(rules.unreviewed_refusal("中原区", {**ok, "draft": 2, "rejected": 1}))
    assert "中原区" in message and "3" in message and "2" in message and "1" in message
    assert rules.missing_counties_refusal("郑州市", []) is None
    assert "二七区、金水区" in str(rules.missing_counties_refusal("郑州市", ["二七区", "金水区"]))


# --- fixtures: own database ------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(module_app):
    with module_app("points") as app:
        make_exam(app, ZHONGZHAO, REPORT_YEAR, "上报测试考试")
        yield app


@pytest.fixture
def setup_window(app):
    """Open (or close) the 2026 成人高考 ``point_setup`` window; restored afterwards."""
    saved = {}

    def set_window(start, end):
        with app.app_context():
            phase = db.session.execute(select(Phase).where(
                Phase.exam_id == exam_id(app, ADULT), Phase.activity == "point_setup")).scalar_one()
            saved.setdefault(phase.id, (phase.start, phase.end))
            phase.start, phase.end = start, end
            db.session.commit()

    now = dt.datetime.now()
    set_window(now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    yield set_window
    with app.app_context():
        for pid, (start, end) in saved.items():
            phase = db.session.get(Phase, pid)
            phase.start, phase.end = start, end
        db.session.commit()


def new_code():
    return f"BMT{next(_codes):04d}"


def proposal_form(app, **fields):
    form = {"exam": exam_id(app, ADULT), "name": "测试报名确认点", "code": new_code(),
            "address": "郑州市中原区测试路 1 号", "contact": "钱老师", "phone": "0371-67001234",
            "serves_levels": ["01", "02"], "for_minors": "y"}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def post_proposal(client, form, pk=None):
    url = f"/point-proposals/edit/{pk}" if pk else "/point-proposals/add"
    client.refresh_token(url)
    return client.post(url, form, follow_redirects=True)


def proposal(app, code):
    with app.app_context():
        p = db.session.execute(select(PointProposal).where(PointProposal.code == code)
                               .order_by(PointProposal.id.desc())).scalars().first()
        if p is None:
            return None
        return SimpleNamespace(id=p.id, state=p.state, reason=p.reject_reason, version=p.version,
                               county=p.node.code, point=p.point and p.point.code,
                               proposed_by=p.proposed_by and p.proposed_by.username,
                               city_by=p.city_by and p.city_by.username,
                               province_by=p.province_by and p.province_by.username)


def node(app, code):
    with app.app_context():
        n = db.session.execute(select(Node).where(Node.code == code)).scalar_one_or_none()
        return n and SimpleNamespace(
            id=n.id, path=n.path, kind=n.kind, parent=n.parent.code, name=n.name,
            serves_levels=n.serves_levels, for_minors=n.for_minors, for_medical=n.for_medical,
            address=n.address, contact=n.contact, phone=n.phone, active=n.active)


def propose(app, login, **fields):
    """zy_admin proposes a point; returns its code."""
    form = proposal_form(app, **fields)
    page = text(post_proposal(login("zy_admin"), form))
    assert proposal(app, form["code"]) is not None, page
    return form["code"]


def direct_proposal(app, county="410302", code=None, state="proposed"):
    """A proposal written straight to the database (e.g. of a county without a demo user)."""
    code = code or new_code()
    with app.app_context():
        n = db.session.execute(select(Node).where(Node.code == county)).scalar_one()
        db.session.add(PointProposal(node=n, exam_id=exam_id(app, ADULT), name=f"{n.name}测试点",
                                     code=code, address="测试地址", contact="测试",
                                     phone="0379-62001234", state=state))
        db.session.commit()
    return code


# --- point proposals through HTTP ------------------------------------------------------------

def test_county_city_province_set_up_a_point(app, login, setup_window):
    since = last_audit_id(app)  # SQLite reuses the id of a row another test deleted
    code = propose(app, login, name="中原区第二报名确认点", serves_levels=["01", "03"],
                   for_minors="y", for_medical="y")
    p = proposal(app, code)
    assert (p.state, p.county, p.proposed_by) == ("proposed", "410102", "zy_admin")
    assert "中原区第二报名确认点" in text(login("zz_admin").get("/point-proposals/list/"))

    act(login("zz_admin"), "point-proposals", "city_approve", [p.id])
    p = proposal(app, code)
    assert (p.state, p.city_by) == ("city_approved", "zz_admin")
    assert node(app, code) is None  # nothing is created before the province approves

    act(login("henan_admin"), "point-proposals", "province_approve", [p.id])
    p = proposal(app, code)
    assert (p.state, p.province_by, p.point) == ("approved", "henan_admin", code)
    point = node(app, code)
    assert point.kind == "point" and point.parent == "410102" and point.active
    assert point.path == "/410000/410100/410102/" + code + "/"
    assert (point.serves_levels, point.for_minors, point.for_medical) == ("01,03", True, True)
    assert (point.contact, point.phone) == ("钱老师", "0371-67001234")
    # The county sees the point among its units and the proposal names it.
    assert "中原区第二报名确认点" in text(login("zy_admin").get("/nodeview/list/"))
    show = text(login("zy_admin").get(f"/point-proposals/show/{p.id}"))
    assert "已审定并设置" in show and "zz_admin" not in show  # users print as names
    assert audit_actions(app, "ks_point_proposal", p.id, since) == ["insert", "update", "update"]
    assert audit_actions(app, "ks_node", point.id, since) == ["insert"]


def last_audit_id(app):
    with app.app_context():
        return db.session.execute(select(func.max(AuditLog.id))).scalar() or 0


def audit_actions(app, table, row_id, since):
    """The audit rows of one row written after audit row `since`, oldest first."""
    with app.app_context():
        return db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == table, AuditLog.row_id == row_id, AuditLog.id > since)
            .order_by(AuditLog.id)).scalars().all()


def test_rejections_need_a_reason_and_the_county_proposes_again(app, login, setup_window):
    code = propose(app, login)
    pid = proposal(app, code).id
    page = act(login("zz_admin"), "point-proposals", "city_reject", [pid])
    assert "必须填写原因。" in page
    assert proposal(app, code).state == "proposed"
    act(login("zz_admin"), "point-proposals", "city_reject", [pid], reason="地址不详，请补充门牌号")
    p = proposal(app, code)
    assert (p.state, p.reason) == ("rejected", "地址不详，请补充门牌号")
    assert "地址不详，请补充门牌号" in text(login("zy_admin").get(f"/point-proposals/show/{pid}"))

    # Rewritten on the edit form, it goes back to the city.
    post_proposal(login("zy_admin"), proposal_form(app, code=code, address="郑州市中原区测试路 1 号院"),
                  pk=pid)
    p = proposal(app, code)
    assert (p.state, p.reason) == ("proposed", None)
    act(login("zz_admin"), "point-proposals", "city_approve", [pid])
    act(login("henan_admin"), "point-proposals", "province_reject", [pid], reason="与现有报名点重复")
    p = proposal(app, code)
    assert (p.state, p.reason, p.province_by) == ("rejected", "与现有报名点重复", "henan_admin")
    assert node(app, code) is None


def test_steps_of_the_wrong_role_or_state_are_skipped_with_the_reason(app, login, setup_window):
    code = propose(app, login)
    pid = proposal(app, code).id
    page = act(login("zy_admin"), "point-proposals", "city_approve", [pid])
    assert "您的角色不能执行“同意设置（市级）”" in page
    page = act(login("henan_admin"), "point-proposals", "province_approve", [pid])
    assert "处于“待市级审核”状态" in page  # not yet agreed by the city
    page = act(login("zz_admin"), "point-proposals", "province_approve", [pid])
    assert "您的角色不能执行“审定并设置报名确认点（省级）”" in page
    assert proposal(app, code).state == "proposed" and node(app, code) is None
    # A city admin does not propose: the form is refused with the reason, nothing saved.
    form = proposal_form(app)
    page = text(post_proposal(login("zz_admin"), form))
    assert "您的角色不能执行“申报报名确认点”" in page and proposal(app, form["code"]) is None


def test_codes_in_use_are_refused_with_the_input_kept(app, login, setup_window):
    # a unit's code
    page = text(post_proposal(login("zy_admin"), proposal_form(app, code="BM410102",
                                                               name="重复代码测试点")))
    assert "代码BM410102已被使用。" in page
    assert "重复代码测试点" in page  # the form comes back with the input
    with app.app_context():
        assert not db.session.execute(select(PointProposal.id).where(
            PointProposal.code == "BM410102")).first()
    # another county's pending proposal holds its code, without being named
    held = direct_proposal(app, "410103")
    page = text(post_proposal(login("zy_admin"), proposal_form(app, code=held)))
    assert "已被另一个待审批的报名确认点申报使用" in page and "二七区测试点" not in page
    with app.app_context():
        held_by = select(func.count()).where(PointProposal.code == held)
        assert db.session.execute(held_by).scalar() == 1
    # a malformed code
    page = text(post_proposal(login("zy_admin"), proposal_form(app, code="BM-1")))
    assert "单位代码应由4至20位字母或数字组成。" in page
    # once rejected, the code is free again
    with app.app_context():
        db.session.execute(PointProposal.__table__.update().where(
            PointProposal.code == held).values(state="rejected"))
        db.session.commit()
    propose(app, login, code=held)


def test_bad_phone_and_adult_only_fields_are_refused(app, login, setup_window):
    page = text(post_proposal(login("zy_admin"), proposal_form(app, phone="12345")))
    assert "请填写带区号的固定电话" in page
    form = proposal_form(app, exam=exam_id(app, ZHONGZHAO), serves_levels=["01"])
    page = text(post_proposal(login("zy_admin"), form))
    assert "仅适用于成人高考报名确认点" in page and proposal(app, form["code"]) is None
    form = proposal_form(app, serves_levels=["01", "99"])
    post_proposal(login("zy_admin"), form)
    assert proposal(app, form["code"]) is None
    # A 中招 point without levels or designations is fine (no window configured there).
    form = proposal_form(app, exam=exam_id(app, ZHONGZHAO), serves_levels=None, for_minors=None)
    post_proposal(login("zy_admin"), form)
    assert proposal(app, form["code"]).state == "proposed"


def test_proposing_outside_the_point_setup_window_is_refused(app, login, setup_window):
    setup_window(dt.datetime(2026, 7, 1, 0, 0), dt.datetime(2026, 7, 3, 23, 59))
    form = proposal_form(app, name="窗口外申报点")
    page = text(post_proposal(login("zy_admin"), form))
    assert "2026-07-01 00:00" in page and "窗口外申报点" in page
    assert proposal(app, form["code"]) is None
    # Deciding is not bound to the window.
    code = direct_proposal(app, "410102")
    act(login("zz_admin"), "point-proposals", "city_approve", [proposal(app, code).id])
    assert proposal(app, code).state == "city_approved"


def test_county_withdraws_its_proposal(app, login, setup_window):
    code = propose(app, login)
    pid = proposal(app, code).id
    act(login("zy_admin"), "point-proposals", "withdraw", [pid])
    assert proposal(app, code) is None
    with app.app_context():
        assert db.session.execute(select(AuditLog.id).where(
            AuditLog.table_name == "ks_point_proposal", AuditLog.row_id == pid,
            AuditLog.action == "delete")).first()


def test_agreed_proposals_are_not_rewritten_and_the_api_withdraws(app, login, setup_window):
    code = propose(app, login, name="已同意申报点")
    pid = proposal(app, code).id
    act(login("zz_admin"), "point-proposals", "city_approve", [pid])
    page = text(post_proposal(login("zy_admin"), proposal_form(app, code=code, name="改名"), pk=pid))
    assert "处于“市级已同意，待省级审定”状态，不能执行“申报报名确认点”" in page
    assert proposal(app, code).state == "city_approved"
    with app.app_context():
        assert db.session.get(PointProposal, pid).name == "已同意申报点"
    # The JSON API runs the same table: withdrawing is refused now, allowed while proposed.
    zy = login("zy_admin")
    zy.refresh_token("/point-proposals/list/")
    version = proposal(app, code).version
    resp = zy.http.post("/point-proposals/api/transition",
                        json={"id": pid, "action": "withdraw", "version": version},
                        headers={"X-CSRFToken": zy.token})
    assert resp.status_code == 422 and "不能执行“撤回申报”" in resp.get_json()["error"]
    other = propose(app, login)
    resp = zy.http.post("/point-proposals/api/transition",
                        json={"id": proposal(app, other).id, "action": "withdraw", "version": 1},
                        headers={"X-CSRFToken": zy.token})
    assert resp.status_code == 200 and proposal(app, other) is None


def test_sibling_county_and_other_city_never_see_a_proposal(app, login, setup_window):
    code = propose(app, login, name="甲县保密申报点")
    pid = proposal(app, code).id
    eq = login("eq_admin")
    assert "甲县保密申报点" not in text(eq.get("/point-proposals/list/"))
    for url in (f"/point-proposals/show/{pid}", f"/point-proposals/edit/{pid}"):
        assert eq.get(url).status_code == 404
    assert "甲县保密申报点" not in text(eq.get(f"/point-proposals/confirm/withdraw?ids={pid}"))
    eq.refresh_token("/point-proposals/list/")
    eq.post("/point-proposals/action_post", {"action": "withdraw", "rowid": str(pid)})
    eq.post("/point-proposals/confirm/withdraw", {"ids": str(pid), f"v_{pid}": "1"})
    eq.post(f"/point-proposals/edit/{pid}", proposal_form(app, code=code, name="越权修改"))
    resp = eq.http.post("/point-proposals/api/transition",
                        json={"id": pid, "action": "withdraw", "version": 1},
                        headers={"X-CSRFToken": eq.token})
    assert resp.status_code == 404
    p = proposal(app, code)
    assert p.state == "proposed" and p.version == 1
    # 洛阳市's county: 郑州市 neither sees nor decides it.
    far = direct_proposal(app, "410302")
    far_id = proposal(app, far).id
    zz = login("zz_admin")
    assert "老城区测试点" not in text(zz.get("/point-proposals/list/"))
    assert zz.get(f"/point-proposals/show/{far_id}").status_code == 404
    zz.refresh_token("/point-proposals/list/")
    zz.post("/point-proposals/confirm/city_approve", {"ids": str(far_id), f"v_{far_id}": "1"})
    assert proposal(app, far).state == "proposed"
    assert "老城区测试点" in text(login("henan_admin").get("/point-proposals/list/"))


def test_stale_version_is_reported(app, login, setup_window):
    code = propose(app, login)
    pid = proposal(app, code).id
    zz = login("zz_admin")
    zz.refresh_token("/point-proposals/list/")
    post_proposal(login("zy_admin"), proposal_form(app, code=code, contact="孙老师"), pk=pid)
    page = text(zz.post("/point-proposals/confirm/city_approve",
                        {"ids": str(pid), f"v_{pid}": "1"}))
    assert "在您打开页面后已被他人修改" in page
    assert proposal(app, code).state == "proposed"


def test_demo_proposal_awaits_the_city(app, login):
    p = proposal(app, "BM410102S")
    assert (p.state, p.county, p.proposed_by) == ("proposed", "410102", "zy_admin")
    from app.points.demo import seed_points

    with app.app_context():
        assert seed_points() == 0


# --- data reporting --------------------------------------------------------------------------

def report_candidate(app, unit, state):
    """A candidate of the reporting exam at ``unit`` (a node code) in review ``state``."""
    with app.app_context():
        n = db.session.execute(select(Node).where(Node.code == unit)).scalar_one()
        birth = dt.date(2016, 6, 1)
        cand = Candidate(exam_id=exam_id(app, ZHONGZHAO, REPORT_YEAR), node=n, name="上报考生",
                         gender="1", birth_date=birth, state=state,
                         id_number=make_id_number("410102", birth, next(_seq)))
        db.session.add(cand)
        db.session.commit()
        return cand.id


def set_state(app, cid, state):
    with app.app_context():
        db.session.get(Candidate, cid).state = state
        db.session.commit()


def submit(client, exam):
    client.refresh_token(f"/data-reports/submit?exam={exam}")
    return text(client.post("/data-reports/submit", {"exam": exam}, follow_redirects=True))


def submissions(app, unit, exam):
    with app.app_context():
        rows = db.session.execute(select(DataSubmission).join(Node).where(
            Node.code == unit, DataSubmission.exam_id == exam).order_by(DataSubmission.id)
        ).scalars().all()
        return [SimpleNamespace(id=s.id, state=s.state, snapshot=s.snapshot,
                                by=s.submitted_by.username, reason=s.return_reason,
                                decided_by=s.decided_by and s.decided_by.username)
                for s in rows]


def test_reporting_up_the_chain(app, login):
    """One walk through the whole chain, county by county, then the city and the province."""
    from app.progress import progress

    exam = exam_id(app, ZHONGZHAO, REPORT_YEAR)
    report_candidate(app, "41010201", "county_approved")
    report_candidate(app, "41010202", "school_approved")
    zy_draft = report_candidate(app, "41010201", "draft")
    eq_rejected = report_candidate(app, "41010301", "rejected")
    report_candidate(app, "410100S1", "school_approved")  # a city-level school

    # Refused while records are unreviewed, with how many; nothing is recorded.
    zy = login("zy_admin")
    page = text(zy.get(f"/data-reports/submit?exam={exam}"))
    assert "中原区暂不能上报：尚有 1 条考生记录未经审核（草稿 1）" in page
    assert 'id="submit-form"' not in page
    assert "尚有 1 条考生记录未经审核" in submit(zy, exam)
    assert submissions(app, "410102", exam) == []

    set_state(app, zy_draft, "school_approved")
    page = submit(zy, exam)
    assert "中原区的数据已上报" in page
    [sub] = submissions(app, "410102", exam)
    assert (sub.state, sub.by) == ("submitted", "zy_admin")
    with app.app_context():
        listed, totals = progress(db.session.get(Node, node(app, "410102").id), exam)
    assert sub.snapshot["totals"]["total"] == totals["total"] == 3
    assert sub.snapshot["totals"]["school_approved"] == 2
    assert {u["code"] for u in sub.snapshot["units"]} == {r["unit"].code for r in listed}
    assert "上报时的数据统计" in page and 'id="report-counts"' in page

    # Once submitted, not again until returned.
    assert "该次上报被退回后方可重新上报" in submit(zy, exam)
    assert len(submissions(app, "410102", exam)) == 1

    # The sibling county neither sees nor touches it.
    eq = login("eq_admin")
    assert eq.get(f"/data-reports/show/{sub.id}").status_code == 404
    assert "中原区" not in text(eq.get("/data-reports/list/"))
    eq.refresh_token("/data-reports/list/")
    eq.post("/data-reports/confirm/city_return", {"ids": str(sub.id), f"v_{sub.id}": "1",
                                                  "reason": "越权"})
    resp = eq.http.post("/data-reports/api/transition",
                        json={"id": sub.id, "action": "city_accept", "version": 1},
                        headers={"X-CSRFToken": eq.token})
    assert resp.status_code == 404
    assert submissions(app, "410102", exam)[0].state == "submitted"

    # The county cannot accept its own report; the province does not decide a county's.
    page = act(zy, "data-reports", "city_accept", [sub.id])
    assert "您的角色不能执行“接收（市级）”" in page
    assert submissions(app, "410102", exam)[0].state == "submitted"
    page = act(login("henan_admin"), "data-reports", "province_accept", [sub.id])
    assert "“接收（省级）”仅适用于市报送的事项，中原区为县（区）。" in page
    assert submissions(app, "410102", exam)[0].state == "submitted"

    # The city returns it with a reason; the county reports again; history is kept.
    zz = login("zz_admin")
    act(zz, "data-reports", "city_return", [sub.id], reason="照片缺失，请补采")
    assert submissions(app, "410102", exam)[0].reason == "照片缺失，请补采"
    assert "照片缺失，请补采" in text(zy.get(f"/data-reports/submit?exam={exam}"))
    submit(zy, exam)
    first, second = submissions(app, "410102", exam)
    assert (first.state, second.state) == ("returned", "submitted")
    act(zz, "data-reports", "city_accept", [second.id])
    assert submissions(app, "410102", exam)[1].decided_by == "zz_admin"

    # The city waits for every county.
    page = submit(zz, exam)
    assert "二七区、金水区上报的数据尚未接收" in page
    set_state(app, eq_rejected, "school_approved")
    submit(eq, exam)
    eq_sub = submissions(app, "410103", exam)[-1]
    act(zz, "data-reports", "city_accept", [eq_sub.id])
    page = submit(zz, exam)
    assert "金水区上报的数据尚未接收" in page and "二七区、" not in page
    jinshui = login_county_admin(app, login, "410105")
    assert "金水区的数据已上报" in submit(jinshui, exam)  # no records: reports zero
    assert submissions(app, "410105", exam)[0].snapshot["totals"]["total"] == 0
    act(zz, "data-reports", "city_accept", [submissions(app, "410105", exam)[0].id])
    page = text(zz.get(f"/data-reports/submit?exam={exam}"))
    assert 'id="reports-below"' in page and page.count("已接收") >= 3
    assert "郑州市的数据已上报" in submit(zz, exam)
    [city] = submissions(app, "410100", exam)
    assert city.snapshot["totals"]["total"] == 5  # the counties and the city-level school
    assert "410100S1" in {u["code"] for u in city.snapshot["units"]}

    # The city may not reopen a county's accepted report while its own one stands.
    page = act(zz, "data-reports", "city_return", [second.id], reason="复核")
    assert "须先退回该次上报" in page
    assert submissions(app, "410102", exam)[1].state == "accepted"
    henan = login("henan_admin")
    act(henan, "data-reports", "province_accept", [city.id])
    act(henan, "data-reports", "province_return", [city.id], reason="请复核二七区数据")
    assert submissions(app, "410100", exam)[0].state == "returned"
    act(zz, "data-reports", "city_return", [eq_sub.id], reason="请复核")
    assert submissions(app, "410103", exam)[-1].state == "returned"

    with app.app_context():
        audited = db.session.execute(select(AuditLog.action, AuditLog.row_id).where(
            AuditLog.table_name == "ks_data_submission",
            AuditLog.node_path == "/410000/410100/").order_by(AuditLog.id)).all()
    # the insert, accepted, returned
    assert [a for a, row in audited if row == city.id] == ["insert", "update", "update"]


def login_county_admin(app, login, county):
    """A county administrator for a county the demo has none for."""
    from werkzeug.security import generate_password_hash

    from app.demo import DEMO_PASSWORD

    username = f"admin_{county}"
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username=username) is None:
            n = db.session.execute(select(Node).where(Node.code == county)).scalar_one()
            user = sm.user_model(
                username=username, first_name="管理员", last_name=n.name, active=True,
                email=f"{username}@test.invalid", node=n, roles=[sm.find_role("county_admin")],
                password=generate_password_hash(
                    DEMO_PASSWORD, method=app.config["FAB_PASSWORD_HASH_METHOD"]))
            db.session.add(user)
            db.session.commit()
    return login(username)


def test_submit_without_an_exam_says_so(app, login):
    zy = login("zy_admin")
    zy.refresh_token("/data-reports/submit")
    page = text(zy.post("/data-reports/submit", {"exam": "999999"}, follow_redirects=True))
    assert "请选择考试。" in page


def test_reporting_outside_its_window_is_refused(app, login):
    """The 2026 成人高考 demo calendar has the reporting window (bonus_entry) still ahead."""
    exam = exam_id(app, ADULT)
    page = submit(login("zy_admin"), exam)
    with app.app_context():
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == exam, Phase.activity == "bonus_entry")).scalar_one()
        start = phase.start.strftime("%Y-%m-%d %H:%M")
    assert start in page
    assert submissions(app, "410102", exam) == []


def test_staff_and_reviewers_have_no_reporting_screens(app, login, school_staff):
    for url in ("/data-reports/list/", "/data-reports/submit", "/point-proposals/list/",
                "/point-proposals/add"):
        assert school_staff.get(url).status_code == 403, url
    home = text(login("zy_admin").get("/"))
    assert "/point-proposals/list/" in home and "/data-reports/list/" in home
    assert "/point-proposals/list/" not in text(school_staff.get("/"))
    auditor = login("henan_auditor")
    assert auditor.get("/data-reports/list/").status_code == 200
    assert auditor.get("/point-proposals/add").status_code == 403


def test_submit_page_shows_only_own_counts(app, login):
    """The submit page of 二七区 shows its own counts only."""
    exam = exam_id(app, ZHONGZHAO, REPORT_YEAR)
    page = text(login("eq_admin").get(f"/data-reports/submit?exam={exam}"))
    assert "二七区" in page and "中原区" not in page and "郑州市第五十七中学" not in page
