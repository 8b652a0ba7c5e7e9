"""Exception playbooks (MISSION §9, seed 004 §五) and incidents through HTTP: opening, scoping,
manual steps, each automated step (extension, postponement, paper draft forms with
reconciliation, data snapshot), notes and status.

The module builds its own database: the extensions it grants must not change other modules'
windows or counts."""
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseExtension
from app.phases.rules import windows
from app.playbooks.models import Incident, IncidentDraftCheck, IncidentEntry, IncidentSnapshot
from app.playbooks.playbooks import ACTIONS, PLAYBOOKS, PLAYBOOKS_BY_KEY
from helpers import csv_bytes, exam_id, idn, incident_post, open_incident, run_import, text


def entries(app, incident_id):
    with app.app_context():
        return [(e.kind, e.step, e.user.username if e.user else None, e.note)
                for e in db.session.execute(select(IncidentEntry).where(
                    IncidentEntry.incident_id == incident_id).order_by(IncidentEntry.id)).scalars()]


def incident(app, incident_id):
    with app.app_context():
        inc = db.session.get(Incident, incident_id)
        db.session.expunge(inc)
        return inc


def phase_of(app, exam, activity):
    with app.app_context():
        return db.session.execute(select(Phase).where(
            Phase.exam_id == exam, Phase.activity == activity, Phase.category.is_(None))
            .order_by(Phase.id)).scalars().first()


def extensions(app):
    with app.app_context():
        return [(e.phase_id, e.node.code, e.new_end, e.reason) for e in db.session.execute(
            select(PhaseExtension).order_by(PhaseExtension.id)).scalars()]


# --- the playbooks as data --------------------------------------------------------------

def test_the_nine_anomalies_of_the_notice_with_their_steps_in_order():
    assert [p.key for p in PLAYBOOKS] == ["overload", "network", "policy", "payment", "ticket",
                                          "power", "datacentre", "attack", "unknown"]
    assert [len(p.steps) for p in PLAYBOOKS] == [2, 3, 1, 3, 1, 3, 2, 3, 2]
    network = PLAYBOOKS_BY_KEY["network"]
    assert network.zh == "辖区内发生网络不畅通"
    assert [s.zh for s in network.steps] == [
        "组织人员尽快恢复网络畅通", "在网络恢复畅通之前，组织考生填报信息采集草表",
        "网络恢复畅通后，由报名确认点批量录入"]
    kinds = {p.key: [[a.kind for a in s.actions] for s in p.steps] for p in PLAYBOOKS}
    assert kinds["network"] == [[], ["paper_mode"], ["back_online"]]
    assert kinds["payment"][2] == ["extend_phase"]
    assert PLAYBOOKS_BY_KEY["payment"].steps[2].actions[0].activities == ("payment",)
    assert kinds["datacentre"][1] == ["postpone"]
    assert kinds["attack"] == [[], ["snapshot"], ["postpone", "paper_mode", "back_online"]]
    assert kinds["policy"] == [[]] and kinds["unknown"] == [[], []]
    for playbook in PLAYBOOKS:
        assert playbook.en and all(s.zh and s.en for s in playbook.steps)
        assert all(a.kind in ACTIONS for s in playbook.steps for a in s.actions)


def test_the_playbooks_page_shows_the_notice_in_chinese(login):
    page = text(login("zy_admin").get("/incidents/playbooks"))
    assert "系统遇到人为攻击" in page and "必要时延时报名或改变采集方式" in page
    assert page.index("实时监控") < page.index("及时进行数据备份")
    assert "数据备份（快照）" in page


# --- opening and scope ------------------------------------------------------------------

def test_open_an_incident_in_ones_subtree_only(app, login, ids):
    exam = exam_id(app)
    county = login("zy_admin")
    inc = open_incident(county, ids, "network", exam)
    assert inc is not None
    page = text(county.get(f"/incidents/show/{inc}"))
    assert "辖区内发生网络不畅通" in page and "中原区报名点网络中断" in page
    # the steps in the notice's order
    assert (page.index("组织人员尽快恢复网络畅通") < page.index("在网络恢复畅通之前")
            < page.index("网络恢复畅通后，由报名确认点批量录入"))
    saved = incident(app, inc)
    assert (saved.status, saved.opened_by_id) == ("open", ids.user("zy_admin"))
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_incident", AuditLog.action == "insert")
            .order_by(AuditLog.id.desc())).scalars().first()
        assert audit.username == "zy_admin" and audit.node_path.endswith("/410102/")
        assert audit.changes["summary"][1] == "中原区报名点网络中断"
    # the sibling county neither sees nor touches it
    sibling = login("eq_admin")
    assert sibling.get(f"/incidents/show/{inc}").status_code == 404
    assert sibling.get(f"/incidents/{inc}/reconcile").status_code == 404
    assert f"/incidents/show/{inc}" not in text(sibling.get("/incidents/list/"))
    for route, form in (("step", {"step": "network.1", "note": "越权"}),
                        ("note", {"note": "越权"}), ("status", {"transition": "close"}),
                        ("action", {"step": "network.2", "kind": "paper_mode"}),
                        ("snapshot", {"step": "attack.2"})):
        assert incident_post(sibling, inc, route, **form).status_code == 404, route
    assert entries(app, inc) == [] and incident(app, inc).paper_since is None
    # the city above sees it
    listed = text(login("zz_admin").get("/incidents/list/"))
    assert f"/incidents/show/{inc}" in listed and "辖区内发生网络不畅通" in listed


def test_an_incident_outside_ones_subtree_or_without_summary_is_refused(app, login, ids):
    exam = exam_id(app)
    county = login("zy_admin")
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(Incident)).scalar()
    assert open_incident(county, ids, "power", exam, region="410103", summary="越界") is None
    assert open_incident(county, ids, "power", exam, summary="   ") is None
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == before
    # school staff do not open incidents
    school = login("zy_school")
    assert school.get("/incidents/add").status_code == 403


# --- manual steps, notes, status ----------------------------------------------------------

def test_manual_steps_need_a_note_and_record_who_and_when(app, login, ids):
    county = login("zy_admin")
    inc = open_incident(county, ids, "unknown", exam_id(app))
    resp = incident_post(county, inc, "step", step="unknown.1", note="  ", form="tick-unknown.1")
    assert resp.status_code == 422 and "请在备注中写明" in text(resp)
    resp = incident_post(county, inc, "step", step="network.1", note="走错步骤")
    assert resp.status_code == 422 and "不属于本事件的处置预案" in text(resp)
    assert entries(app, inc) == []
    resp = incident_post(county, inc, "step", step="unknown.1", note="已电话报告郑州市招办")
    assert resp.status_code == 302
    assert entries(app, inc) == [("done", "unknown.1", "zy_admin", "已电话报告郑州市招办")]
    page = text(county.get(f"/incidents/show/{inc}"))
    step = page[page.index('id="step-unknown.1"'):page.index('id="step-unknown.2"')]
    assert "已电话报告郑州市招办" in step and "中原区管理员" in step and "已完成" in step
    # an auditor reads the incident but cannot act on it
    auditor = login("henan_auditor")
    assert "已电话报告郑州市招办" in text(auditor.get(f"/incidents/show/{inc}"))
    assert incident_post(auditor, inc, "step", step="unknown.2", note="审计").status_code == 403
    assert len(entries(app, inc)) == 1


def test_status_open_resolved_reopened_closed(app, login, ids):
    county = login("zy_admin")
    inc = open_incident(county, ids, "policy", exam_id(app))
    assert incident_post(county, inc, "status", transition="reopen").status_code == 422
    assert incident_post(county, inc, "status", transition="resolve", note="已调整").status_code == 302
    assert incident(app, inc).status == "resolved"
    # resolved: steps wait for a reopening, notes do not
    assert incident_post(county, inc, "step", step="policy.1", note="x").status_code == 422
    assert incident_post(county, inc, "note", note="省考试院已回复").status_code == 302
    assert incident_post(county, inc, "status", transition="reopen").status_code == 302
    assert incident_post(county, inc, "step", step="policy.1", note="已报告信息处").status_code == 302
    assert incident_post(county, inc, "status", transition="close").status_code == 302
    closed = incident(app, inc)
    assert closed.status == "closed" and closed.closed_on is not None
    for route, form in (("step", {"step": "policy.1", "note": "x"}), ("note", {"note": "x"}),
                        ("status", {"transition": "reopen"})):
        resp = incident_post(county, inc, route, **form)
        assert resp.status_code == 422, route
    assert "已关闭" in text(incident_post(county, inc, "note", note="x"))
    log = entries(app, inc)
    assert [k for k, *_r in log] == ["status", "note", "status", "done", "status"]
    with app.app_context():
        audited = db.session.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.table_name == "ks_incident", AuditLog.row_id == inc,
            AuditLog.action == "update")).scalar()
        assert audited == 3


# --- automated steps: extension and postponement ------------------------------------------

def test_extending_payment_for_the_region_only(app, login, ids):
    exam = exam_id(app, ADULT)
    payment = phase_of(app, exam, "payment")
    new_end = (payment.end + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    city = login("zz_admin")
    inc = open_incident(city, ids, "payment", exam, summary="中原区大批量缴费不成功")
    form = dict(step="payment.3", kind="extend_phase", phase=str(payment.id),
                new_end=new_end.strftime("%Y-%m-%dT%H:%M"), note="银行接口故障", form="act")
    before = extensions(app)
    # a county administrator runs the other steps but grants no extension (the same guard as
    # the extension screen)
    county = login("zy_admin")
    resp = incident_post(county, inc, "action", **form)
    assert resp.status_code == 403 and "只有市级或省级管理员" in text(resp)
    # a window the step may not extend, an end not after the window's, a step without it
    other = phase_of(app, exam, "self_registration")
    assert incident_post(city, inc, "action", **{**form, "phase": str(other.id)}).status_code == 422
    early = (payment.end - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert incident_post(city, inc, "action", **{**form, "new_end": early}).status_code == 422
    assert incident_post(city, inc, "action", **{**form, "new_end": "明天"}).status_code == 422
    assert incident_post(city, inc, "action", **{**form, "step": "payment.1"}).status_code == 422
    assert extensions(app) == before
    resp = incident_post(city, inc, "action", **form)
    assert resp.status_code == 302
    added = extensions(app)[len(before):]
    assert len(added) == 1
    phase_id, region, end, reason = added[0]
    assert (phase_id, region, end) == (payment.id, "410102", new_end)
    assert f"#{inc}" in reason and "大批量缴费不成功" in reason and "银行接口故障" in reason
    with app.app_context():
        zy = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        eq = db.session.execute(select(Node).where(Node.code == "41010301")).scalar_one()
        assert windows(exam, "payment", node=zy)[0][1] == new_end
        assert windows(exam, "payment", node=eq)[0][1] == payment.end
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_phase_extension")
            .order_by(AuditLog.id.desc())).scalars().first()
        assert audit.username == "zz_admin"
    assert entries(app, inc)[-1][:3] == ("extend_phase", "payment.3", "zz_admin")
    page = text(city.get(f"/incidents/show/{inc}"))
    assert new_end.strftime("%Y-%m-%d %H:%M") in page and "中原区" in page


def test_postponing_registration_extends_the_self_registration_window(app, login, ids):
    exam = exam_id(app, ADULT)
    registration = phase_of(app, exam, "self_registration")
    new_end = (registration.end + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    city = login("zz_admin")
    inc = open_incident(city, ids, "datacentre", exam, region="410103",
                        summary="省中心机房故障，二七区无法报名")
    payment = phase_of(app, exam, "payment")
    refused = incident_post(city, inc, "action", step="datacentre.2", kind="postpone",
                            phase=str(payment.id), new_end=new_end.strftime("%Y-%m-%d %H:%M"))
    assert refused.status_code == 422
    before = extensions(app)
    resp = incident_post(city, inc, "action", step="datacentre.2", kind="postpone",
                         phase=str(registration.id),
                         new_end=new_end.strftime("%Y-%m-%d %H:%M"))
    assert resp.status_code == 302
    assert [(p, r, e) for p, r, e, _ in extensions(app)[len(before):]] == [
        (registration.id, "410103", new_end)]


# --- automated steps: data snapshot --------------------------------------------------------

def test_snapshot_exports_the_region_and_is_downloaded_within_scope_only(app, login, ids):
    exam = exam_id(app)
    county = login("zy_admin")
    inc = open_incident(county, ids, "attack", exam, summary="发现针对报名系统的攻击")
    assert incident_post(county, inc, "snapshot", step="attack.1").status_code == 422
    resp = incident_post(county, inc, "snapshot", step="attack.2", note="攻击期间备份")
    assert resp.status_code == 302
    county.run_jobs()
    with app.app_context():
        snap = db.session.execute(select(IncidentSnapshot).where(
            IncidentSnapshot.incident_id == inc)).scalar_one()
        snap_id, status, rows = snap.id, snap.status, snap.rows
        expected = db.session.execute(
            select(Candidate.id_number).join(Node, Node.id == Candidate.node_id)
            .where(Candidate.exam_id == exam, Node.path.like("%/410102/%"))).scalars().all()
    assert status == "done" and rows == len(expected) > 0
    assert f"/incidents/snapshot/{snap_id}.xlsx" in text(county.get(f"/incidents/show/{inc}"))
    resp = county.get(f"/incidents/snapshot/{snap_id}.xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    numbers = [r[header.index("身份证号")] for r in table[1:]]
    assert sorted(numbers) == sorted(expected)
    assert all(str(r[header.index("学校代码")]).startswith(("410102", "BM410102"))
               for r in table[1:])
    # the sibling county gets 404, the city above and the province the file
    assert login("eq_admin").get(f"/incidents/snapshot/{snap_id}.xlsx").status_code == 404
    assert login("zz_admin").get(f"/incidents/snapshot/{snap_id}.xlsx").status_code == 200
    # reading the incident is not downloading its data
    auditor = login("henan_auditor")
    assert auditor.get(f"/incidents/snapshot/{snap_id}.xlsx").status_code == 403
    with app.app_context():
        logged = db.session.execute(select(AuditLog.action, AuditLog.username).where(
            AuditLog.table_name == "ks_incident", AuditLog.row_id == inc,
            AuditLog.action.in_(("snapshot", "download")))).all()
    assert ("snapshot", "zy_admin") in logged and ("download", "zy_admin") in logged
    assert ("download", "zz_admin") in logged and ("download", "eq_admin") not in logged


# --- automated steps: paper draft forms and reconciliation ---------------------------------

def _editable_candidate(app, school="41010201"):
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).join(Node, Node.id == Candidate.node_id)
            .where(Node.code == school, Candidate.exam_id == exam_id(app),
                   Candidate.locked.is_(False), Candidate.state.in_(("draft", "rejected")))
            .order_by(Candidate.id)).scalars().first()
        return cand.id, cand.name, cand.id_number, "男" if cand.gender == "1" else "女"


def test_paper_mode_then_batch_entry_and_reconciliation(app, login, ids):
    exam = exam_id(app)
    county = login("zy_admin")
    before_switch = idn(11, 301)
    _b, status = run_import(county, app, csv_bytes(
        [["切换前", before_switch, "男", "41010201", "汉族", "13800002001", ""]]))
    assert status["created"] == 1
    inc = open_incident(county, ids, "network", exam, summary="中原区全区网络中断")
    # back online before going to paper, or paper twice, is refused
    assert incident_post(county, inc, "action", step="network.3",
                         kind="back_online").status_code == 422
    assert incident_post(county, inc, "action", step="network.1",
                         kind="paper_mode").status_code == 422
    resp = incident_post(county, inc, "action", step="network.2", kind="paper_mode",
                         note="启用纸质草表")
    assert resp.status_code == 302
    assert incident(app, inc).on_paper
    page = text(county.get(f"/incidents/show/{inc}"))
    assert "/print/draft.pdf" in page and f"/incidents/{inc}/reconcile" in page
    assert incident_post(county, inc, "action", step="network.2",
                         kind="paper_mode").status_code == 422
    resolve = incident_post(county, inc, "status", transition="resolve")
    assert resolve.status_code == 422 and "纸质草表" in text(resolve)
    # the drafts are entered in bulk: a new record and a correction of an existing one,
    # while the sibling county imports its own
    drafted = idn(12, 303)
    cid, name, id_number, gender = _editable_candidate(app)
    _b, status = run_import(login("zy_school"), app, csv_bytes([
        ["纸质草表", drafted, "男", "41010201", "汉族", "13800002002", ""],
        [name, id_number, gender, "41010201", "", "13800002003", ""]]))
    assert (status["created"], status["updated"]) == (1, 1)
    _b, status = run_import(login("eq_school"), app, csv_bytes(
        [["二七区草表", idn(13, 305, "410103"), "男", "41010301", "汉族", "13800002004", ""]]))
    assert status["created"] == 1
    assert incident_post(county, inc, "action", step="network.3",
                         kind="back_online").status_code == 302
    assert not incident(app, inc).on_paper
    page = text(county.get(f"/incidents/{inc}/reconcile"))
    assert "纸质草表" in page and name in page
    assert "切换前" not in page and "二七区草表" not in page
    assert "已核对 0 份，共 2 份" in page
    with app.app_context():
        new_id = db.session.execute(select(Candidate.id).where(
            Candidate.id_number == drafted)).scalar_one()
        outsider = db.session.execute(select(Candidate.id).where(
            Candidate.id_number == before_switch)).scalar_one()
    county.refresh_token(f"/incidents/{inc}/reconcile")
    resp = county.http.post(f"/incidents/{inc}/reconcile", data={
        "csrf_token": county.token, "shown": [str(new_id), str(cid), str(outsider)],
        "tick": [str(new_id), str(outsider)]})
    assert resp.status_code == 302
    with app.app_context():
        ticked = set(db.session.execute(select(IncidentDraftCheck.candidate_id).where(
            IncidentDraftCheck.incident_id == inc)).scalars())
    assert ticked == {new_id}
    assert "已核对 1 份，共 2 份" in text(county.get(f"/incidents/{inc}/reconcile"))
    # the sibling county cannot read or tick the list
    sibling = login("eq_admin")
    sibling.refresh_token("/incidents/list/")
    resp = sibling.http.post(f"/incidents/{inc}/reconcile", data={
        "csrf_token": sibling.token, "shown": [str(new_id)]})
    assert resp.status_code == 404
    assert incident_post(county, inc, "status", transition="resolve").status_code == 302
