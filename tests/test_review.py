"""Phases, review workflow, confirmation and lock through HTTP."""
import datetime as dt
import itertools
import json
import re

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.candidates.validators import make_id_number
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseExtension
from app.review.models import ReviewEvent

_seq = itertools.count(301, 2)


def text(resp):
    return resp.get_data(as_text=True)


def new_candidate(app, school="41010201", **extra):
    """A fresh draft candidate at ``school`` (id)."""
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        birth = dt.date(2011, 6, 1)
        cand = Candidate(exam=exam, node=node, name="审核考生", gender="1", birth_date=birth,
                         id_number=make_id_number(school[:6], birth, next(_seq)), category="01",
                         **extra)
        db.session.add(cand)
        db.session.commit()
        return cand.id


def state(app, cid):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        return c.state, c.locked, c.reject_reason, c.version


def versions(page):
    return dict(re.findall(r'name="(v_\d+)" value="(\d+)"', page))


def act(client, name, cids, **form):
    """Run a review action the way the screen does: list action → confirm page → POST."""
    client.refresh_token("/review/list/")
    resp = client.post("/review/action_post", {"action": name, "rowid": [str(c) for c in cids]})
    assert resp.status_code == 302, resp.status_code
    page = client.get(resp.location)
    assert page.status_code == 200
    ids = ",".join(str(c) for c in cids)
    resp = client.post(f"/review/confirm/{name}", {"ids": ids, **versions(text(page)), **form},
                       follow_redirects=True)
    return text(resp)


def api(client, payload):
    client.refresh_token("/review/list/")
    return client.http.post("/review/api/transition", data=json.dumps(payload),
                            content_type="application/json",
                            headers={"X-CSRFToken": client.token})


@pytest.fixture
def window(app):
    """Set one activity's window of the 2026 中招 exam; restores it afterwards."""
    saved = {}

    def set_window(activity, start, end):
        with app.app_context():
            phase = db.session.execute(select(Phase).join(Exam).where(
                Exam.year == 2026, Exam.kind == ZHONGZHAO, Phase.activity == activity)).scalar_one()
            saved.setdefault(phase.id, (phase.start, phase.end))
            phase.start, phase.end = start, end
            db.session.commit()

    yield set_window
    with app.app_context():
        for pid, (start, end) in saved.items():
            phase = db.session.get(Phase, pid)
            phase.start, phase.end = start, end
        db.session.execute(PhaseExtension.__table__.delete())
        db.session.commit()


PAST = (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 25, 17))
SIGNOFF = {"principal_name": "王校长", "signed_on": "2026-11-20"}


def test_full_path_from_draft_to_city_approval(login, app):
    cid = new_candidate(app)
    act(login("zy_school"), "confirm_on_behalf", [cid])
    assert state(app, cid)[0] == "confirmed"
    act(login("zy_school_reviewer"), "school_approve", [cid], **SIGNOFF)
    assert state(app, cid)[0] == "school_approved"
    act(login("zy_reviewer"), "county_approve", [cid])
    assert state(app, cid)[0] == "county_approved"
    act(login("zz_reviewer"), "city_approve", [cid])
    assert state(app, cid)[0] == "city_approved"
    with app.app_context():
        events = db.session.execute(select(ReviewEvent).where(ReviewEvent.candidate_id == cid)
                                    .order_by(ReviewEvent.id)).scalars().all()
        assert [e.action for e in events] == ["confirm_on_behalf", "school_approve",
                                              "county_approve", "city_approve"]
        assert events[1].principal_name == "王校长" and events[1].signed_on == dt.date(2026, 11, 20)


def test_school_approval_requires_principal_signoff(login, app):
    cid = new_candidate(app, state="confirmed")
    act(login("zy_school_reviewer"), "school_approve", [cid])
    assert state(app, cid)[0] == "confirmed"
    with app.app_context():
        assert db.session.execute(select(ReviewEvent).where(ReviewEvent.candidate_id == cid)).first() is None


def test_wrong_level_and_wrong_state_are_skipped_with_counts(login, app):
    ready, draft = new_candidate(app, state="school_approved"), new_candidate(app)
    page = act(login("zy_reviewer"), "county_approve", [ready, draft])
    assert state(app, ready)[0] == "county_approved" and state(app, draft)[0] == "draft"
    assert re.search(r"1\D+1", page)  # 1 done, 1 skipped
    # a school reviewer may not run the county's transition
    other = new_candidate(app, state="school_approved")
    assert api(login("zy_school_reviewer"), {"id": other, "action": "county_approve"}).status_code == 422
    assert state(app, other)[0] == "school_approved"


def test_rejection_and_resubmission(login, app):
    cid = new_candidate(app, state="school_approved")
    act(login("zy_reviewer"), "county_reject", [cid], reason="照片不合格，请重新采集")
    st, _locked, reason, _v = state(app, cid)
    assert st == "rejected" and reason == "照片不合格，请重新采集"
    detail = text(login("zy_school").get(f"/review/show/{cid}"))
    assert "照片不合格" in detail
    act(login("zy_school"), "confirm_on_behalf", [cid])
    assert state(app, cid)[0] == "confirmed" and state(app, cid)[2] is None


def test_reject_needs_a_reason(login, app):
    cid = new_candidate(app, state="confirmed")
    act(login("zy_school_reviewer"), "school_reject", [cid], reason="  ")
    assert state(app, cid)[0] == "confirmed"


def test_action_outside_phase_is_refused_everywhere(login, app, window):
    cid = new_candidate(app, state="confirmed")
    window("school_review", *PAST)
    reviewer = login("zy_school_reviewer")
    page = act(reviewer, "school_approve", [cid], **SIGNOFF)
    assert "2026-03-25 17:00" in page
    resp = api(reviewer, {"id": cid, "action": "school_approve", **SIGNOFF})
    assert resp.status_code == 403 and "2026-03-25 17:00" in resp.get_json()["error"]
    reviewer.refresh_token("/review/list/")
    forged = reviewer.post("/review/confirm/school_approve", {"ids": str(cid), **SIGNOFF})
    assert forged.status_code == 302
    assert state(app, cid)[0] == "confirmed"


def test_edit_outside_staff_entry_window_is_refused(login, app, window):
    cid = new_candidate(app)
    window("staff_entry", *PAST)
    c = login("zy_school")
    c.refresh_token(f"/candidateview/edit/{cid}")
    resp = c.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13900000000"),
                  follow_redirects=True)
    assert "2026-03-25 17:00" in text(resp)
    with app.app_context():
        assert db.session.get(Candidate, cid).phone is None


def test_extension_reopens_for_one_county_only(login, app, ids, window):
    zy, eq = new_candidate(app), new_candidate(app, school="41010301")
    window("staff_entry", *PAST)
    city = login("zz_admin")
    with app.app_context():
        phase_id = db.session.execute(select(Phase.id).join(Exam).where(
            Exam.year == 2026, Phase.activity == "staff_entry")).scalar_one()
    city.refresh_token("/phaseextensionview/add")
    resp = city.post("/phaseextensionview/add", {
        "phase": phase_id, "node": ids.node("410102"), "new_end": "2099-01-01 17:00:00",
        "reason": "中原区网络中断，延时采集"})
    assert resp.status_code == 302
    with app.app_context():
        ext = db.session.execute(select(PhaseExtension)).scalar_one()
        assert ext.reason.startswith("中原区")
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_phase_extension")).scalars().first()
        assert audit.username == "zz_admin"
    for user, cid, allowed in (("zy_school", zy, True), ("eq_school", eq, False)):
        c = login(user)
        c.refresh_token(f"/candidateview/edit/{cid}")
        c.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13911112222"))
        with app.app_context():
            assert (db.session.get(Candidate, cid).phone == "13911112222") is allowed, user


def test_county_admin_cannot_grant_extensions(login, ids, app):
    c = login("zy_admin")
    assert c.get("/phaseextensionview/add").status_code == 403


def edit_form(app, cid, **over):
    """A complete edit form for the candidate created by new_candidate, with changes."""
    data = {"exam": str(_exam_id(app)), "node": str(_node_of(app, cid)), "name": "审核考生",
            "gender": "1", "id_number": _id_of(app, cid), "birth_date": "2011-06-01",
            "category": "01"}
    data.update(over)
    return data


def _exam_id(app):
    with app.app_context():
        return db.session.execute(
            select(Exam.id).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()


def _node_of(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).node_id


def _id_of(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).id_number


def test_two_reviewers_racing_one_wins_one_gets_conflict(login, app):
    from app.demo import ensure_user

    with app.app_context():
        school = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        ensure_user("zy_school_reviewer2", "Second-rev-2026", school, "school_reviewer", "审核", "二")
        db.session.commit()
    cid = new_candidate(app, state="confirmed")
    first, second = login("zy_school_reviewer"), login("zy_school_reviewer2", "Second-rev-2026")
    pages = []
    for c in (first, second):
        c.refresh_token("/review/list/")
        resp = c.post("/review/action_post", {"action": "school_approve" if c is first else
                                              "school_reject", "rowid": [str(cid)]})
        pages.append((c, resp.location, versions(text(c.get(resp.location)))))
    (c1, loc1, v1), (c2, loc2, v2) = pages
    assert v1 == v2
    c1.post("/review/confirm/school_approve", {"ids": str(cid), **v1, **SIGNOFF})
    page = text(c2.post("/review/confirm/school_reject", {"ids": str(cid), **v2, "reason": "不符"},
                        follow_redirects=True))
    assert state(app, cid)[0] == "school_approved"
    assert "someone else" in page or "其他人" in page or "他人" in page
    stale = api(second, {"id": cid, "action": "county_approve", "version": 1})
    assert stale.status_code in (409, 422)


def _lock(app, login, cid):
    from app.review.workflow import mark_printed

    with app.app_context():
        mark_printed(db.session.get(Candidate, cid))
        db.session.commit()
    act(login("zy_school"), "mark_signed", [cid])
    assert state(app, cid)[1] is True


def test_sign_requires_printed_form(login, app):
    cid = new_candidate(app, state="confirmed")
    act(login("zy_school"), "mark_signed", [cid])
    assert state(app, cid)[1] is False


def test_every_write_path_is_refused_on_a_locked_record(login, app, ids):
    import io

    cid = new_candidate(app, state="confirmed", phone="13700000000")
    _lock(app, login, cid)
    c = login("zy_school")
    c.refresh_token(f"/candidateview/edit/{cid}")
    page = text(c.post(f"/candidateview/edit/{cid}",
                       edit_form(app, cid, name="改名考生", phone="13911112222"),
                       follow_redirects=True))
    assert "锁定" in page or "locked" in page
    c.post(f"/candidateview/delete/{cid}")
    c.refresh_token("/guardianview/add")
    c.post("/guardianview/add", {"candidate": str(cid), "name": "李四", "relation": "51"})
    # import of the same ID number
    data = f"姓名,身份证号,学校代码\n改名考生,{_id_of(app, cid)},41010201\n".encode()
    c.refresh_token("/registry-import/")
    resp = c.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": c.token, "exam": str(_exam_id(app)), "file": (io.BytesIO(data), "a.csv")})
    batch = int(resp.location.rstrip("/").split("/")[-2])
    c.post(f"/registry-import/{batch}/mapping", {"col_name": "0", "col_id_number": "1",
                                                 "col_school_code": "2"})
    c.run_jobs()
    status = c.get(f"/registry-import/{batch}/status").get_json()
    assert status["rejected"] == 1 and status["updated"] == 0
    # review rejection and the API
    assert api(login("zy_school_reviewer"), {"id": cid, "action": "school_reject",
                                             "reason": "x"}).status_code == 403
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.name == "审核考生" and cand.phone == "13700000000" and cand.guardians == []
        assert cand.state == "confirmed"


def test_unlock_by_authorized_user_only_with_audit(login, app):
    cid = new_candidate(app, state="confirmed")
    _lock(app, login, cid)
    act(login("zy_school"), "unlock", [cid], reason="我想改")
    assert state(app, cid)[1] is True
    act(login("zy_admin"), "unlock", [cid], reason="")
    assert state(app, cid)[1] is True
    act(login("zy_admin"), "unlock", [cid], reason="考生更正手机号")
    assert state(app, cid)[1] is False
    # a change while unlocked, then lock again
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.phone = "13600000000"
        db.session.commit()
    act(login("zy_admin"), "relock", [cid])
    assert state(app, cid)[1] is True
    with app.app_context():
        rows = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id == cid)
            .order_by(AuditLog.id)).scalars().all()
        unlock = [r for r in rows if r.changes and r.changes.get("locked") == [True, False]]
        assert unlock and unlock[0].reason == "考生更正手机号" and unlock[0].username == "zy_admin"
        assert any(r.changes and r.changes.get("phone") == [None, "13600000000"] for r in rows)
        assert any(r.changes and r.changes.get("locked") == [False, True] for r in rows)


def test_qualification_has_its_own_approval_chain(login, app):
    from app.review.models import Qualification

    cid = new_candidate(app, state="confirmed")
    staff = login("zy_school")
    staff.refresh_token("/qualifications/add")
    resp = staff.post("/qualifications/add", {"candidate": str(cid), "kind": "allocation",
                                              "note": "分配生名额"})
    assert resp.status_code == 302
    with app.app_context():
        qid = db.session.execute(select(Qualification.id).where(
            Qualification.candidate_id == cid)).scalar_one()

    def qstate():
        with app.app_context():
            return db.session.get(Qualification, qid).state

    def qact(client, name, **form):
        client.refresh_token("/qualifications/list/")
        resp = client.post("/qualifications/action_post", {"action": name, "rowid": [str(qid)]})
        page = text(client.get(resp.location))
        client.post(f"/qualifications/confirm/{name}", {"ids": str(qid), **versions(page), **form})

    # the candidate's own review state is untouched by the qualification chain
    qact(login("zy_reviewer"), "q_county_approve")
    assert qstate() == "pending"
    qact(login("zy_school_reviewer"), "q_school_approve", **SIGNOFF)
    assert qstate() == "school_approved"
    qact(login("zy_reviewer"), "q_county_reject", reason="名额超出")
    assert qstate() == "rejected"
    qact(staff, "q_resubmit")
    assert qstate() == "pending"
    qact(login("zy_school_reviewer"), "q_school_approve", **SIGNOFF)
    qact(login("zy_reviewer"), "q_county_approve")
    qact(login("zz_reviewer"), "q_city_approve")
    assert qstate() == "city_approved" and state(app, cid)[0] == "confirmed"
    assert login("eq_admin").get(f"/qualifications/show/{qid}").status_code == 404


def test_printing_the_registration_form_marks_printed_then_sign_locks(login, app):
    draft, cid = new_candidate(app), new_candidate(app, state="confirmed")
    staff = login("zy_school")
    for c in (draft, cid):
        assert staff.get(f"/print/registration/{c}.pdf").status_code == 200
    with app.app_context():
        assert db.session.get(Candidate, draft).printed_at is None
        assert db.session.get(Candidate, cid).printed_at is not None
    assert "/print/registration/%d.pdf" % cid in text(staff.get(f"/candidateview/show/{cid}"))
    act(staff, "mark_signed", [cid])
    assert state(app, cid)[1] is True


def test_publicity_list_for_a_chosen_state(login, app, ids):
    import shutil
    import subprocess

    approved = new_candidate(app, school="41010202", state="school_approved")
    draft = new_candidate(app, school="41010202")
    with app.app_context():
        names = {c: db.session.get(Candidate, c).id_number for c in (approved, draft)}
    resp = login("zy_admin").get(f"/print/publicity/{ids.node('41010202')}.pdf"
                                 f"?exam={_exam_id(app)}&state=school_approved")
    assert resp.status_code == 200
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True).stdout.decode()
    masked = {c: n[:4] + "*" * 10 + n[-4:] for c, n in names.items()}
    assert masked[approved] in out.replace(" ", "") and masked[draft] not in out.replace(" ", "")
    assert login("zy_admin").get(f"/print/publicity/{ids.node('41010202')}.pdf"
                                 f"?exam={_exam_id(app)}&state=bogus").status_code == 404
