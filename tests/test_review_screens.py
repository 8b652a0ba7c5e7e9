"""Review and candidate screens a clerk can work in (issue 15 items 1, 2, 6), through HTTP."""
import datetime as dt
import itertools
import re
import uuid

from sqlalchemy import select

from app.candidates.models import Candidate, Guardian, StudyHistory
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import PHOTO, CandidatePhoto, StoredFile
from helpers import text, versions

_seq = itertools.count(601, 2)
SIGNOFF = {"principal_name": "王校长", "signed_on": "2026-11-20"}


def new_candidate(app, school="41010201", name="界面考生", photo=False, **extra):
    """A fresh candidate at ``school`` with a guardian and a study period; returns its id."""
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        birth = dt.date(2011, 7, 1)
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=birth,
                         id_number=make_id_number(school[:6], birth, next(_seq)), category="01",
                         **extra)
        cand.guardians.append(Guardian(name="监护人甲乙", relation="51", phone="13900000001"))
        cand.studies.append(StudyHistory(start=dt.date(2023, 9, 1), school="学历小学丙丁"))
        db.session.add(cand)
        db.session.flush()
        if photo:
            sha = uuid.uuid4().hex * 2
            db.session.add(StoredFile(sha256=sha, size=1, content_type="image/jpeg"))
            db.session.add(CandidatePhoto(candidate_id=cand.id, kind=PHOTO, file_sha256=sha,
                                          original_sha256=sha, current=True))
        db.session.commit()
        return cand.id


def stored(app, cid):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        return c.name, c.phone, c.version


def menu_actions(page):
    """The action names the list's 操作 menu offers."""
    return set(re.findall(r'class="(\w+)_menu_item"', page))


def test_school_reviewer_is_offered_only_school_review(login):
    page = text(login("zy_school_reviewer").get("/review/list/?all=1"))
    assert menu_actions(page) == {"school_approve", "school_reject"}


def test_county_reviewer_is_offered_only_county_review(login):
    page = text(login("zy_reviewer").get("/review/list/?all=1"))
    assert menu_actions(page) == {"county_approve", "county_reject"}


def active_state_filter(page):
    """The state value of the list's active filters (FAB hands them to its filter script)."""
    found = re.search(r'\["state", "[^"]*", \["(\w+)"\]\]', page)
    return found and found.group(1)


def test_review_list_opens_on_the_users_own_waiting_state(login, app):
    county, school = login("zy_reviewer"), login("zy_school_reviewer")
    assert active_state_filter(text(county.get("/review/list/"))) == "school_approved"
    assert active_state_filter(text(school.get("/review/list/"))) == "confirmed"
    new_candidate(app, name="默认筛选退回", state="rejected")
    assert "默认筛选退回" not in text(county.get("/review/list/"))
    # The filter can be cleared: a search, or the "all states" link, keeps what was asked.
    cleared = text(county.get("/review/list/?all=1&_flt_0_name=默认筛选退回"))
    assert active_state_filter(cleared) is None and "默认筛选退回" in cleared


def test_review_detail_shows_photo_parts_and_timeline(login, app):
    cid = new_candidate(app, name="审核详情考生", photo=True, state="confirmed")
    reviewer = login("zy_school_reviewer")
    page = text(reviewer.get(f"/review/show/{cid}"))
    assert f'src="/photos/file/{cid}/photo"' in page
    assert "监护人甲乙" in page and "学历小学丙丁" in page
    # Only what this reviewer may do to this record now, styled by meaning.
    assert f"/review/confirm/school_approve?ids={cid}" in page
    assert "county_approve" not in page and "btn-success" in page
    reviewer.refresh_token(f"/review/confirm/school_approve?ids={cid}")
    confirm = text(reviewer.get(f"/review/confirm/school_approve?ids={cid}"))
    reviewer.post("/review/confirm/school_approve",
                  {"ids": str(cid), **versions(confirm), **SIGNOFF})
    page = text(reviewer.get(f"/review/show/{cid}"))
    timeline = page[page.index('id="review-timeline"'):]
    assert "五十七中审核员" in timeline or "zy_school_reviewer" in timeline
    assert "王校长" in timeline


def test_bulk_confirmation_shows_thumbnails(login, app):
    cids = [new_candidate(app, name=f"缩略图考生{i}", photo=True, state="confirmed")
            for i in range(3)]
    reviewer = login("zy_school_reviewer")
    page = text(reviewer.get("/review/confirm/school_approve?ids=" + ",".join(map(str, cids))))
    for cid in cids:
        assert f'src="/photos/file/{cid}/photo"' in page


def test_locked_record_opens_read_only_with_who_locked_it(login, app):
    cid = new_candidate(app, name="锁定界面考生", state="confirmed", locked=True,
                        signed_at=dt.datetime(2026, 11, 21, 10, 30), phone="13800000002")
    with app.app_context():
        from app.review.models import ReviewEvent
        from app.security import KsUser

        staff = db.session.execute(
            select(KsUser).where(KsUser.username == "zy_school")).scalar_one()
        db.session.add(ReviewEvent(candidate_id=cid, action="mark_signed", from_state="confirmed",
                                   to_state="confirmed", user_id=staff.id, actor="zy_school",
                                   at=dt.datetime(2026, 11, 21, 10, 30)))
        db.session.commit()
    clerk = login("zy_school")
    before = stored(app, cid)
    resp = clerk.get(f"/candidateview/edit/{cid}")
    assert resp.status_code == 302 and resp.location.endswith(f"/candidateview/show/{cid}")
    page = text(clerk.get(resp.location))
    banner = page[page.index('id="ks-locked-banner"'):][:1500]
    assert "zy_school" in banner or "五十七中采集员" in banner
    assert "2026-11-21 10:30" in banner
    clerk.refresh_token(f"/candidateview/show/{cid}")
    resp = clerk.post(f"/candidateview/edit/{cid}", {"name": "改过的名字", "phone": "13800000009"})
    assert resp.status_code == 302
    assert stored(app, cid) == before
    # The list offers no edit icon for it.
    listing = text(clerk.get("/candidateview/list/?_flt_0_name=锁定界面考生"))
    assert f"/candidateview/show/{cid}" in listing
    assert f"/candidateview/edit/{cid}" not in listing


def test_review_detail_lists_data_changes_since_the_last_approval(login, app):
    cid = new_candidate(app, name="变更考生", state="confirmed", phone="13800000100")
    reviewer = login("zy_school_reviewer")
    confirm = text(reviewer.get(f"/review/confirm/school_approve?ids={cid}"))
    reviewer.post("/review/confirm/school_approve",
                  {"ids": str(cid), **versions(confirm), **SIGNOFF})
    county = login("zy_reviewer")
    confirm = text(county.get(f"/review/confirm/county_reject?ids={cid}"))
    county.post("/review/confirm/county_reject", {"ids": str(cid), **versions(confirm),
                                                  "reason": "电话有误"})
    page = text(reviewer.get(f"/review/show/{cid}"))
    assert 'id="ks-no-changes"' in page  # a review step is not a data change
    with app.app_context():
        db.session.get(Candidate, cid).phone = "13800000123"
        db.session.commit()
    page = text(reviewer.get(f"/review/show/{cid}"))
    changes = page[page.index('id="ks-changes"'):page.index('id="review-timeline"')]
    assert "13800000100" in changes and "13800000123" in changes
    timeline = page[page.index('id="review-timeline"'):]
    assert "电话有误" in timeline and "中原区" in timeline


def test_confirmation_page_says_at_once_when_the_step_is_not_the_users(login, app):
    cid = new_candidate(app, name="越级考生", state="confirmed")
    page = text(login("zy_school_reviewer").get(f"/review/confirm/county_approve?ids={cid}"))
    assert 'id="review-not-yours"' in page and "disabled" in page
