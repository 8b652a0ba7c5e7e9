"""Phases, review workflow, confirmation and lock through HTTP."""
import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase, PhaseExtension
from app.review.models import ReviewEvent
from factories import make_candidate
from helpers import (PAST, edit_form, exam_id, print_form, review_action, review_api,
                     review_state, sign, text, versions)


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


SIGNOFF = {"principal_name": "王校长", "signed_on": "2026-11-20"}


def test_full_path_from_draft_to_city_approval(login, app):
    cid = make_candidate(app)
    review_action(login("zy_school"), "confirm_on_behalf", [cid])
    assert review_state(app, cid)[0] == "confirmed"
    review_action(login("zy_school_reviewer"), "school_approve", [cid], **SIGNOFF)
    assert review_state(app, cid)[0] == "school_approved"
    review_action(login("zy_reviewer"), "county_approve", [cid])
    assert review_state(app, cid)[0] == "county_approved"
    review_action(login("zz_reviewer"), "city_approve", [cid])
    assert review_state(app, cid)[0] == "city_approved"
    with app.app_context():
        events = db.session.execute(select(ReviewEvent).where(ReviewEvent.candidate_id == cid)
                                    .order_by(ReviewEvent.id)).scalars().all()
        assert [e.action for e in events] == ["confirm_on_behalf", "school_approve",
                                              "county_approve", "city_approve"]
        assert events[1].principal_name == "王校长" and events[1].signed_on == dt.date(2026, 11, 20)


def test_school_approval_requires_principal_signoff(login, app):
    cid = make_candidate(app, state="confirmed")
    review_action(login("zy_school_reviewer"), "school_approve", [cid])
    assert review_state(app, cid)[0] == "confirmed"
    with app.app_context():
        assert db.session.execute(select(ReviewEvent).where(ReviewEvent.candidate_id == cid)).first() is None


def test_wrong_level_and_wrong_state_are_skipped_with_counts(login, app):
    ready, draft = make_candidate(app, state="school_approved"), make_candidate(app)
    page = review_action(login("zy_reviewer"), "county_approve", [ready, draft])
    assert review_state(app, ready)[0] == "county_approved"
    assert review_state(app, draft)[0] == "draft"
    assert re.search(r"1\D+1", page)  # 1 done, 1 skipped
    # a school reviewer may not run the county's transition
    other = make_candidate(app, state="school_approved")
    assert review_api(login("zy_school_reviewer"),
                      {"id": other, "action": "county_approve"}).status_code == 422
    assert review_state(app, other)[0] == "school_approved"


def test_rejection_and_resubmission(login, app):
    cid = make_candidate(app, state="school_approved")
    review_action(login("zy_reviewer"), "county_reject", [cid], reason="照片不合格，请重新采集")
    st, _locked, reason, _v = review_state(app, cid)
    assert st == "rejected" and reason == "照片不合格，请重新采集"
    detail = text(login("zy_school").get(f"/review/show/{cid}"))
    assert "照片不合格" in detail
    review_action(login("zy_school"), "confirm_on_behalf", [cid])
    assert review_state(app, cid)[0] == "confirmed" and review_state(app, cid)[2] is None


def test_reject_needs_a_reason(login, app):
    cid = make_candidate(app, state="confirmed")
    review_action(login("zy_school_reviewer"), "school_reject", [cid], reason="  ")
    assert review_state(app, cid)[0] == "confirmed"


def test_action_outside_phase_is_refused_everywhere(login, app, window):
    cid = make_candidate(app, state="confirmed")
    window("school_review", *PAST)
    reviewer = login("zy_school_reviewer")
    page = review_action(reviewer, "school_approve", [cid], **SIGNOFF)
    assert "2026-03-25 17:00" in page
    resp = review_api(reviewer, {"id": cid, "action": "school_approve", **SIGNOFF})
    assert resp.status_code == 403 and "2026-03-25 17:00" in resp.get_json()["error"]
    reviewer.refresh_token("/review/list/")
    version = f"v_{cid}"
    forged = text(reviewer.post("/review/confirm/school_approve",
                                {"ids": str(cid), version: review_state(app, cid)[3], **SIGNOFF}))
    assert "2026-03-25 17:00" in forged
    assert review_state(app, cid)[0] == "confirmed"


def test_edit_outside_staff_entry_window_is_refused(login, app, window):
    cid = make_candidate(app)
    window("staff_entry", *PAST)
    c = login("zy_school")
    c.refresh_token(f"/candidateview/edit/{cid}")
    resp = c.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13900000000"),
                  follow_redirects=True)
    assert "2026-03-25 17:00" in text(resp)
    with app.app_context():
        assert db.session.get(Candidate, cid).phone is None


def test_extension_reopens_for_one_county_only(login, app, ids, window):
    zy, eq = make_candidate(app), make_candidate(app, school="41010301")
    window("staff_entry", *PAST)
    city = login("zz_admin")
    with app.app_context():
        phase_id = db.session.execute(select(Phase.id).join(Exam).where(
            Exam.year == 2026, Phase.activity == "staff_entry")).scalar_one()
        # Audit rows of earlier tests' extensions stay: look only at the rows written now.
        audited = db.session.execute(select(func.max(AuditLog.id))).scalar() or 0
    city.refresh_token("/phaseextensionview/add")
    resp = city.post("/phaseextensionview/add", {
        "phase": phase_id, "node": ids.node("410102"), "new_end": "2099-01-01 17:00:00",
        "reason": "中原区网络中断，延时采集"})
    assert resp.status_code == 302
    with app.app_context():
        ext = db.session.execute(select(PhaseExtension).where(
            PhaseExtension.phase_id == phase_id,
            PhaseExtension.node_id == ids.node("410102"))).scalar_one()
        assert ext.reason.startswith("中原区")
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_phase_extension", AuditLog.id > audited)).scalar_one()
        assert (audit.action, audit.row_id, audit.username) == ("insert", ext.id, "zz_admin")
    for user, cid, allowed in (("zy_school", zy, True), ("eq_school", eq, False)):
        c = login(user)
        c.refresh_token(f"/candidateview/edit/{cid}")
        c.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13911112222"))
        with app.app_context():
            assert (db.session.get(Candidate, cid).phone == "13911112222") is allowed, user


def test_county_admin_cannot_grant_extensions(login, ids, app):
    c = login("zy_admin")
    assert c.get("/phaseextensionview/add").status_code == 403


def test_two_reviewers_racing_one_wins_one_gets_conflict(login, app):
    from app.demo import ensure_user

    with app.app_context():
        school = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        ensure_user("zy_school_reviewer2", "Second-rev-2026", school, "school_reviewer", "审核", "二")
        db.session.commit()
    cid = make_candidate(app, state="confirmed")
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
    assert review_state(app, cid)[0] == "school_approved"
    assert "someone else" in page or "其他人" in page or "他人" in page
    stale = review_api(second, {"id": cid, "action": "school_reject", "reason": "不符",
                                "version": 1}, version=False)
    assert stale.status_code == 409 and "他人" in stale.get_json()["error"]


def test_sign_requires_printed_form(login, app):
    cid = make_candidate(app, state="confirmed")
    page = review_action(login("zy_school"), "mark_signed", [cid])
    assert review_state(app, cid)[1] is False and "请先打印" in page


def test_qualification_has_its_own_approval_chain(login, app):
    from app.review.models import Qualification

    cid = make_candidate(app, state="confirmed")
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
    assert qstate() == "city_approved" and review_state(app, cid)[0] == "confirmed"
    assert login("eq_admin").get(f"/qualifications/show/{qid}").status_code == 404


def test_printing_the_registration_form_marks_printed_then_sign_locks(login, app):
    draft, cid = make_candidate(app), make_candidate(app, state="confirmed")
    staff = login("zy_school")
    for c in (draft, cid):
        assert staff.get(f"/print/registration/{c}.pdf").status_code == 200
    with app.app_context():
        assert db.session.get(Candidate, draft).printed_at is None
        assert db.session.get(Candidate, cid).printed_at is not None
    assert "/print/registration/%d.pdf" % cid in text(staff.get(f"/candidateview/show/{cid}"))
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is True


def test_publicity_list_for_a_chosen_state(login, app, ids):
    import shutil
    import subprocess

    approved = make_candidate(app, school="41010202", state="school_approved")
    draft = make_candidate(app, school="41010202")
    with app.app_context():
        names = {c: db.session.get(Candidate, c).id_number for c in (approved, draft)}
    resp = login("zy_admin").get(f"/print/publicity/{ids.node('41010202')}.pdf"
                                 f"?exam={exam_id(app)}&state=school_approved")
    assert resp.status_code == 200
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True).stdout.decode()
    masked = {c: n[:4] + "*" * 10 + n[-4:] for c, n in names.items()}
    assert masked[approved] in out.replace(" ", "") and masked[draft] not in out.replace(" ", "")
    assert login("zy_admin").get(f"/print/publicity/{ids.node('41010202')}.pdf"
                                 f"?exam={exam_id(app)}&state=bogus").status_code == 404


# --- first review at a registration point ------------------------------------------------------


def test_point_candidate_goes_through_first_review_county_and_city(login, app):
    cid = make_candidate(app, school="BM410102", name="回籍考生", category="02")
    review_action(login("zy_point"), "confirm_on_behalf", [cid])
    assert review_state(app, cid)[0] == "confirmed"
    # the school's reviewer does not see the point's candidates; the point's reviewer does
    page = review_action(login("zy_school_reviewer"), "school_approve", [cid], **SIGNOFF)
    assert review_state(app, cid)[0] == "confirmed" and re.search(r"0\D+0", page)
    review_action(login("zy_point_reviewer"), "school_approve", [cid],
                  principal_name="李主任", signed_on="2026-11-20")
    assert review_state(app, cid)[0] == "school_approved"
    review_action(login("zy_reviewer"), "county_approve", [cid])
    review_action(login("zz_reviewer"), "city_approve", [cid])
    assert review_state(app, cid)[0] == "city_approved"
    with app.app_context():
        first = db.session.execute(select(ReviewEvent).where(
            ReviewEvent.candidate_id == cid, ReviewEvent.action == "school_approve")).scalar_one()
        assert first.actor == "zy_point_reviewer" and first.principal_name == "李主任"


def test_county_admin_binds_a_reviewer_to_a_point(login, ids, app):
    from flask_appbuilder.security.sqla.models import Role

    from app.security import KsUser

    with app.app_context():
        role_id = db.session.execute(select(Role.id).where(Role.name == "school_reviewer")).scalar_one()
    c = login("zy_admin")
    c.refresh_token("/users/add")
    c.post("/users/add", {
        "username": "zy_point_reviewer2", "first_name": "审核员", "last_name": "报名点",
        "email": "zy_point_reviewer2@example.invalid", "node": ids.node("BM410102"),
        "roles": role_id, "active": "y", "password": "Strong-pass-2026",
        "conf_password": "Strong-pass-2026"})
    with app.app_context():
        user = db.session.execute(select(KsUser).where(
            KsUser.username == "zy_point_reviewer2")).scalar_one()
        assert user.node.code == "BM410102" and [r.name for r in user.roles] == ["school_reviewer"]
    cid = make_candidate(app, school="BM410102", state="confirmed")
    review_action(login("zy_point_reviewer2", "Strong-pass-2026"), "school_approve", [cid],
                  **SIGNOFF)
    assert review_state(app, cid)[0] == "school_approved"


# --- signing binds the printed paper -----------------------------------------------------------


def test_signing_needs_the_print_of_the_current_version(login, app):
    cid = make_candidate(app, state="confirmed")
    staff = login("zy_school")
    print_form(staff, cid)
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.printed_version == cand.version and cand.printed_at is not None
    # a staff correction after printing: the paper no longer shows the record
    staff.refresh_token(f"/candidateview/edit/{cid}")
    staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13912345678"))
    assert _phone(app, cid) == "13912345678"
    page = review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is False and "请重新打印" in page
    print_form(staff, cid)
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is True


def test_a_guardian_change_after_printing_needs_a_reprint(login, app):
    cid = make_candidate(app, state="confirmed")
    staff = login("zy_school")
    print_form(staff, cid)
    staff.refresh_token("/guardianview/add")
    staff.post("/guardianview/add", {"candidate": str(cid), "name": "李四", "relation": "51"})
    with app.app_context():
        assert [g.name for g in db.session.get(Candidate, cid).guardians] == ["李四"]
    assert "请重新打印" in review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is False


def test_reject_correct_reconfirm_needs_a_reprint(login, app):
    cid = make_candidate(app, state="confirmed")
    staff = login("zy_school")
    print_form(staff, cid)
    review_action(login("zy_school_reviewer"), "school_reject", [cid], reason="手机号有误")
    with app.app_context():
        assert db.session.get(Candidate, cid).printed_version is None  # the paper was rejected
    staff.refresh_token(f"/candidateview/edit/{cid}")
    staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13922223333"))
    review_action(staff, "confirm_on_behalf", [cid])
    assert review_state(app, cid)[0] == "confirmed"
    assert "请先打印" in review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is False
    print_form(staff, cid)
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is True


def test_approval_between_print_and_signature_keeps_the_print_valid(login, app):
    cid = make_candidate(app, state="confirmed")
    staff = login("zy_school")
    print_form(staff, cid)
    review_action(login("zy_school_reviewer"), "school_approve", [cid], **SIGNOFF)
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[:2] == ("school_approved", True)


# --- staff edits of approved records ---------------------------------------------------------


def _phone(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).phone


def test_staff_cannot_change_an_approved_record_until_it_is_rejected(login, app):
    cid = make_candidate(app, state="school_approved", phone="13700000001")
    staff = login("zy_school")
    staff.refresh_token(f"/candidateview/edit/{cid}")
    page = text(staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13700000002"),
                           follow_redirects=True))
    assert "审核通过后不得修改" in page and "退回" in page
    staff.refresh_token("/guardianview/add")
    staff.post("/guardianview/add", {"candidate": str(cid), "name": "王五", "relation": "51"})
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert cand.phone == "13700000001" and cand.guardians == [] and cand.state == "school_approved"
    review_action(login("zy_reviewer"), "county_reject", [cid], reason="请更正手机号")
    staff.refresh_token(f"/candidateview/edit/{cid}")
    staff.post(f"/candidateview/edit/{cid}", edit_form(app, cid, phone="13700000002"))
    assert _phone(app, cid) == "13700000002" and review_state(app, cid)[0] == "rejected"


# --- approvals move on a signed record; rejections need an unlock ---------------------------


def test_review_state_moves_on_a_locked_record_but_rejection_needs_unlock(login, app):
    cid = make_candidate(app, state="confirmed")
    sign(app, login, cid)
    review_action(login("zy_school_reviewer"), "school_approve", [cid], **SIGNOFF)
    assert review_state(app, cid)[:2] == ("school_approved", True)
    resp = review_api(login("zy_reviewer"),
                      {"id": cid, "action": "county_reject", "reason": "照片不合格"})
    assert resp.status_code == 403 and "锁定" in resp.get_json()["error"]
    assert review_state(app, cid)[:2] == ("school_approved", True)
    review_action(login("zy_admin"), "unlock", [cid], reason="县区审核发现照片不合格")
    review_action(login("zy_reviewer"), "county_reject", [cid], reason="照片不合格")
    assert review_state(app, cid)[:3] == ("rejected", False, "照片不合格")


# --- review list: state filter, every skip reason, version required ---------------------------


def test_state_filter_is_a_labelled_select(login, app):
    make_candidate(app, name="筛选退回", state="rejected")
    make_candidate(app, name="筛选确认", state="confirmed")
    c = login("zy_school_reviewer")
    page = text(c.get("/review/list/"))
    # FAB's filter widget receives each column's input as HTML in a JSON argument
    fields = next(json.loads(line.strip().rstrip(",")) for line in page.splitlines()
                  if line.strip().startswith('{"exam": "\\u003cselect'))
    assert fields["state"].startswith("<select")
    assert '<option value="school_approved">学校/报名点已审核</option>' in fields["state"]
    listed = text(c.get("/review/list/?_flt_0_state=rejected&psize_ReviewView=100"))
    assert "筛选退回" in listed and "筛选确认" not in listed


def test_every_skipped_row_is_listed_with_its_reason(login, app):
    drafts = [make_candidate(app, name=f"跳过{i:02d}") for i in range(25)]
    page = review_action(login("zy_reviewer"), "county_approve", drafts)
    table = page[page.index('id="review-skipped"'):]
    assert table.count("<tr>") == 26  # header + every skipped row, not only the first 20
    assert "跳过24" in table and "不能执行" in table
    assert re.search(r"0\D+25", page)


def test_api_requires_the_version(login, app):
    cid = make_candidate(app, state="confirmed")
    reviewer = login("zy_school_reviewer")
    resp = review_api(reviewer, {"id": cid, "action": "school_approve", **SIGNOFF}, version=False)
    assert resp.status_code == 400 and "version" in resp.get_json()["error"]
    resp = review_api(reviewer, {"id": cid, "action": "school_approve", "version": "abc",
                                 **SIGNOFF}, version=False)
    assert resp.status_code == 422 and "整数" in resp.get_json()["error"]
    assert review_state(app, cid)[0] == "confirmed"
    resp = review_api(reviewer, {"id": cid, "action": "school_approve", **SIGNOFF})
    assert resp.status_code == 200 and resp.get_json()["state"] == "school_approved"


def test_a_post_without_the_versions_seen_changes_nothing(login, app):
    cid = make_candidate(app, state="confirmed")
    reviewer = login("zy_school_reviewer")
    reviewer.refresh_token("/review/list/")
    page = text(reviewer.post("/review/confirm/school_approve", {"ids": str(cid), **SIGNOFF}))
    assert "版本号" in page and review_state(app, cid)[0] == "confirmed"


# --- timeline extensions and qualification results -------------------------------------------


def test_timeline_shows_extensions_to_the_regions_concerned(login, app, ids, window):
    window("staff_entry", *PAST)
    with app.app_context():
        phase = db.session.execute(select(Phase).join(Exam).where(
            Exam.year == 2026, Exam.kind == ZHONGZHAO, Phase.activity == "staff_entry")).scalar_one()
        db.session.add(PhaseExtension(phase_id=phase.id, node_id=ids.node("410102"),
                                      new_end=dt.datetime(2026, 4, 2, 17), reason="中原区停电"))
        db.session.commit()
        exam_id = phase.exam_id
    line = "中原区延时至2026-04-02 17:00"
    for user, sees in (("zz_admin", True), ("zy_school", True), ("eq_admin", False)):
        page = text(login(user).get(f"/phases/timeline/{exam_id}"))
        assert (line in page and "中原区停电" in page) is sees, user
    assert "首场考试日期" in text(login("zz_admin").get(f"/phases/timeline/{exam_id}"))


def test_qualification_results_for_the_candidate_pages(login, app):
    from app.review.feedback import qualification_results
    from app.review.models import Qualification

    cid = make_candidate(app, state="confirmed")
    staff = login("zy_school")
    staff.refresh_token("/qualifications/add")
    staff.post("/qualifications/add", {"candidate": str(cid), "kind": "allocation", "note": "x"})
    with app.app_context():
        assert [r["state"] for r in qualification_results(cid)] == ["pending"]
        qid = db.session.execute(select(Qualification.id).where(
            Qualification.candidate_id == cid)).scalar_one()
    reviewer = login("zy_school_reviewer")
    reviewer.refresh_token("/qualifications/list/")
    resp = reviewer.post("/qualifications/action_post", {"action": "q_school_reject",
                                                         "rowid": [str(qid)]})
    page = text(reviewer.get(resp.location))
    reviewer.post("/qualifications/confirm/q_school_reject",
                  {"ids": str(qid), **versions(page), "reason": "不符合分配生条件"})
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        [result] = qualification_results(cid)
        assert result["kind"] == "allocation" and result["rejected"] is True
        assert result["reason"] == "不符合分配生条件" and result["decided_on"] is not None
        assert str(result["state_label"]) == "未通过"


def test_the_candidates_own_step_reads_as_the_candidate_in_the_timeline(login, app):
    """The confirmation a candidate makes on the self-service page has no user: the timeline
    said "candidate（candidate）" there, English on a zh page."""
    cid = make_candidate(app, state="confirmed")
    with app.app_context():
        db.session.add(ReviewEvent(candidate_id=cid, action="confirm", from_state="draft",
                                   to_state="confirmed", user_id=None, actor="candidate"))
        db.session.commit()
    detail = text(login("zy_school").get(f"/review/show/{cid}"))
    assert "考生本人操作" in detail and "candidate（candidate）" not in detail, \
        detail[detail.find("timeline"):][:1500]
