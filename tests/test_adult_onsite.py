"""成人高考 on-site confirmation through HTTP (issue 18.4, app/adult/onsite*.py): the point's
screen, its refusals (each leaves the record as it was), the 报名流程表 (single and batch), the
point's 照顾加分 claim the city starts from, and the 免试 forward that waits for the on-site
confirmation (issue 18.6's 报名流程图)."""
import datetime as dt
import io
import re

import pytest
from sqlalchemy import delete, select, update

from adult_support import CLOSED, make
from app.adult import exemption
from app.adult.exemption_models import AdultBonus, AdultExemption
from app.adult.onsite_models import AdultOnsite
from app.audit import AuditLog
from app.candidates.models import Candidate, DocumentCheck
from app.codes import ADULT
from app.extensions import db
from app.phases import rules
from app.phases.models import Phase
from app.photos.models import CandidatePhoto
from app.printing.models import PrintBatch
from app.review.models import ReviewEvent
from gkpref_support import pdf_text
from helpers import OPEN, exam_id, node_id, text
from photo_faces import encode, portrait

PDF = b"%PDF-1.4\n% copy of a passport\n"


@pytest.fixture
def windows(phase):
    """The confirmation and 免试 review windows open (restored afterwards)."""
    phase("confirmation", *OPEN, kind=ADULT)
    phase("exemption_review", *OPEN, kind=ADULT)
    return phase


@pytest.fixture
def staff(login):
    return login("zy_point")


@pytest.fixture
def reviewer(login):
    return login("zy_point_reviewer")


def record(app, cid):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        onsite = db.session.execute(select(AdultOnsite).where(
            AdultOnsite.candidate_id == cid)).scalar_one_or_none()
        return c.state, c.version, onsite is not None


def take_photo(staff, cid, data=None):
    staff.refresh_token(f"/adult/onsite/{cid}")
    return staff.post(f"/adult/onsite/{cid}/photo",
                      {"file": (io.BytesIO(data or encode(portrait())), "reader.jpg")},
                      content_type="multipart/form-data")


def version(app, cid):
    return record(app, cid)[1]


def confirm(client, app, cid, pledge="1", seen="1", version_=None, **extra):
    client.refresh_token(f"/adult/onsite/{cid}")
    form = {"version": str(version(app, cid) if version_ is None else version_),
            "principal_name": "中原区报名点负责人", "signed_on": dt.date.today().isoformat()}
    if pledge:
        form["pledge"] = pledge
    if seen:
        form["documents_seen"] = seen
    form.update(extra)
    return client.post(f"/adult/onsite/{cid}/confirm", form)


def ready(app, staff, **kw):
    """A candidate confirmed online at 中原区报名点 with a photo passing the checks."""
    cid, _number, _idn = make(app, state="confirmed", **kw)
    assert take_photo(staff, cid).status_code == 302
    return cid


def test_confirmation_on_site_is_the_first_review(app, windows, staff, reviewer):
    cid, number, idn = make(app, state="confirmed", name="现场确认甲")
    listing = text(reviewer.get(f"/adult/onsite/?q={idn}"))
    assert "现场确认甲" in listing and "待现场确认" in listing
    assert "现场确认甲" in text(reviewer.get("/adult/onsite/?q=现场确认"))
    assert take_photo(staff, cid).status_code == 302
    page = text(reviewer.get(f"/adult/onsite/{cid}"))
    for seen in ("现场确认甲", idn, "居民身份证", "郑州大学", "会计学", "中原区报名点",
                 'name="pledge"', 'name="documents_seen"', 'id="onsite-confirm-button"',
                 "考生已现场抄写并签署诚信考试承诺书"):
        assert seen in page, seen
    before = version(app, cid)
    resp = confirm(reviewer, app, cid)
    assert resp.status_code == 302, text(resp)
    state, after, has_row = record(app, cid)
    assert state == "school_approved" and after > before and has_row
    with app.app_context():
        row = db.session.execute(select(AdultOnsite).where(
            AdultOnsite.candidate_id == cid)).scalar_one()
        assert row.pledge_copied_by == "zy_point_reviewer" and row.pledge_copied_at
        assert row.confirmed_by == "zy_point_reviewer"
        audited = {(a.table_name, a.action) for a in db.session.execute(select(AuditLog).where(
            AuditLog.candidate_id == cid)).scalars()}
        assert ("ks_adult_onsite", "insert") in audited, audited
        assert any(t == "ks_candidate" for t, _a in audited)
        event = db.session.execute(select(ReviewEvent).where(
            ReviewEvent.candidate_id == cid)).scalars().all()
        assert [e.action for e in event] == ["school_approve"]
        assert event[0].principal_name == "中原区报名点负责人"
    page = text(reviewer.get(f"/adult/onsite/{cid}"))
    assert "已现场确认" in page and 'id="onsite-confirm"' not in page
    # Confirmed once: a second post is refused and changes nothing.
    assert confirm(reviewer, app, cid).status_code >= 400
    assert record(app, cid)[1] == after


def test_another_points_candidate_is_not_found(app, windows, reviewer):
    cid, _n, _i = make(app, point="BM410103D", state="confirmed", name="别处考生")
    assert reviewer.get(f"/adult/onsite/{cid}").status_code == 404
    before = record(app, cid)
    assert confirm(reviewer, app, cid).status_code == 404
    assert reviewer.get(f"/adult/onsite/{cid}/process.pdf").status_code == 404
    listing = text(reviewer.get("/adult/onsite/?q=别处考生"))
    assert 'id="onsite-list"' not in listing and "0 名考生" in listing
    assert record(app, cid) == before


def refused(app, client, cid, *phrases, status=None, **kw):
    before = record(app, cid)
    resp = confirm(client, app, cid, **kw)
    body = text(resp)
    assert resp.status_code >= 400 and (status is None or resp.status_code == status), body
    for phrase in phrases:
        assert phrase in body, (phrase, body[:3000])
    assert record(app, cid) == before
    return body


def test_closed_window_refuses(app, windows, staff, reviewer):
    cid = ready(app, staff)
    windows("confirmation", *CLOSED, kind=ADULT)
    refused(app, reviewer, cid, "现场确认", status=403)


def test_outside_the_daily_hours_refuses(app, windows, staff, reviewer, monkeypatch):
    cid = ready(app, staff)
    with app.app_context():
        phases = db.session.execute(select(Phase).where(
            Phase.exam_id == exam_id(app, ADULT), Phase.activity == "confirmation")).scalars()
        for p in phases:
            p.hours = "08:00-12:00,15:00-18:00"
        db.session.commit()
    try:
        monkeypatch.setattr(rules, "now_local", lambda: dt.datetime(2026, 9, 5, 13, 0))
        refused(app, reviewer, cid, "08:00–12:00", status=403)
        monkeypatch.setattr(rules, "now_local", lambda: dt.datetime(2026, 9, 5, 15, 30))
        assert confirm(reviewer, app, cid).status_code == 302
        assert record(app, cid)[0] == "school_approved"
    finally:
        with app.app_context():
            db.session.execute(update(Phase).where(Phase.activity == "confirmation")
                               .values(hours=None))
            db.session.commit()


def test_not_confirmed_online_refuses(app, windows, staff, reviewer):
    cid, _n, _i = make(app, state="draft")
    take_photo(staff, cid)
    refused(app, reviewer, cid, "尚未在网上确认")


def test_no_photo_or_a_failing_photo_refuses(app, windows, staff, reviewer):
    cid, _n, _i = make(app, state="confirmed")
    refused(app, reviewer, cid, "尚未采集照片")
    # An ID card reader's BMP is not a format the photo pipeline reads: refused, not stored.
    bmp = io.BytesIO()
    portrait().save(bmp, "BMP")
    resp = take_photo(staff, cid, bmp.getvalue())
    assert resp.status_code in (400, 422) and "照片未保存" in text(resp)
    refused(app, reviewer, cid, "尚未采集照片")
    assert take_photo(staff, cid).status_code == 302
    with app.app_context():  # a photo kept from before a stricter rule: its checks fail
        photo = db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == cid, CandidatePhoto.current.is_(True))).scalar_one()
        photo.checks = {**photo.checks, "ok": False}
        db.session.commit()
    refused(app, reviewer, cid, "照片未通过检测")


def test_a_passport_holder_needs_the_document_copy(app, windows, staff, reviewer):
    cid = ready(app, staff)
    with app.app_context():
        db.session.get(Candidate, cid).id_type = "5"
        db.session.commit()
    page = text(staff.get(f"/adult/onsite/{cid}"))
    assert "护照（华侨）" in page and 'name="copy"' in page
    refused(app, reviewer, cid, "证件复印件")
    staff.refresh_token(f"/adult/onsite/{cid}")
    resp = staff.post(f"/adult/onsite/{cid}/document", {"copy": (io.BytesIO(PDF), "护照.pdf")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        check = db.session.execute(select(DocumentCheck).where(
            DocumentCheck.candidate_id == cid)).scalar_one()
        assert check.state == "pending" and check.submitted_by == "zy_point"
    assert confirm(reviewer, app, cid).status_code == 302
    assert record(app, cid)[0] == "school_approved"


def test_pledge_and_document_ticks_are_required(app, windows, staff, reviewer):
    cid = ready(app, staff)
    refused(app, reviewer, cid, "请勾选：考生已现场抄写", pledge=None)
    refused(app, reviewer, cid, "请勾选：已核对考生本人", seen=None)


def test_a_stale_page_is_refused(app, windows, staff, reviewer):
    cid = ready(app, staff)
    refused(app, reviewer, cid, "刷新", status=409, version_=version(app, cid) - 1)


def test_point_staff_without_the_review_role_cannot_confirm(app, windows, staff):
    cid = ready(app, staff)
    page = text(staff.get(f"/adult/onsite/{cid}"))
    assert "您的角色不能执行" in page
    refused(app, staff, cid, "您的角色不能执行")


def test_process_sheet_single_and_batch(app, windows, staff, reviewer, login, run_jobs):
    cid = ready(app, staff, name="流程表考生")
    assert confirm(reviewer, app, cid).status_code == 302
    with app.app_context():
        c = db.session.get(Candidate, cid)
        idn, point = c.id_number, c.node.name
    resp = reviewer.get(f"/adult/onsite/{cid}/process.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    sheet = re.sub(r"\s+", "", pdf_text(resp.data))
    for seen in ("报名流程表", "流程表考生", idn, point, "郑州大学", "会计学", "诚信考试承诺书",
                 "已现场确认", "考生签字", "确认点经办人签字", "网上缴费", "打印准考证"):
        assert seen in sheet, seen
    city = login("zz_admin")
    city.refresh_token("/adult/onsite/batch")
    resp = city.post("/adult/onsite/batch", {"exam": exam_id(app, ADULT),
                                             "node": node_id(app, "410100"), "which": "onsite"})
    assert resp.status_code == 302, text(resp)
    run_jobs()
    with app.app_context():
        batch = db.session.execute(select(PrintBatch).order_by(PrintBatch.id.desc())).scalar()
        assert batch.kind == "process" and cid in batch.candidate_ids
        assert batch.status == "done" and batch.pages >= len(batch.candidate_ids)
    # The county's candidates are not the sibling county's: 二七区 prints none of them.
    eq = login("eq_admin")
    eq.refresh_token("/adult/onsite/batch")
    resp = eq.post("/adult/onsite/batch", {"exam": exam_id(app, ADULT),
                                           "node": node_id(app, "410102"), "which": "onsite"})
    assert resp.status_code == 404


def test_the_points_claim_is_where_the_citys_entry_starts(app, windows, staff, login):
    windows("bonus_entry", *OPEN, kind=ADULT)
    cid = ready(app, staff)
    staff.refresh_token(f"/adult/onsite/{cid}")
    resp = staff.post(f"/adult/onsite/{cid}/claim", {"kind": "3", "note": "退役证"})
    assert resp.status_code >= 400 and "请勾选：已查验" in text(resp)
    resp = staff.post(f"/adult/onsite/{cid}/claim", {"kind": "3", "note": "退役证",
                                                     "originals_seen": "1"})
    assert resp.status_code == 302
    with app.app_context():
        row = db.session.execute(select(AdultBonus).where(
            AdultBonus.candidate_id == cid)).scalar_one()
        assert (row.state, row.claim_kind, row.claimed_by) == ("claimed", "3", "zy_point")
    city = login("zz_reviewer")
    page = city.get(f"/adult/bonuses/enter?candidate={cid}").get_data(as_text=True)
    assert re.search(r'<option[^>]*value="3"[^>]*selected', page) or \
        re.search(r'<option[^>]*selected[^>]*value="3"', page)
    city.refresh_token(f"/adult/bonuses/enter?candidate={cid}")
    assert city.post("/adult/bonuses/enter", {"candidate": str(cid), "kind": "3",
                                              "points": "", "note": ""}).status_code == 302
    with app.app_context():
        row = db.session.execute(select(AdultBonus).where(
            AdultBonus.candidate_id == cid)).scalar_one()
        assert (row.state, row.points, row.claim_kind) == ("entered", 20, "3")


def test_exemption_goes_to_the_province_only_after_the_onsite_confirmation(
        app, windows, staff, reviewer, login, run_jobs):
    cid = ready(app, staff, name="免试现场")
    with app.app_context():
        row = AdultExemption(candidate_id=cid, state="applied", kind="1", note="劳模",
                             applied_at=dt.datetime.now())
        db.session.add(row)
        db.session.commit()
        pk = row.id
    city = login("zz_reviewer")

    def forward():
        city.refresh_token(f"/adult/exemptions/show/{pk}")
        return city.post(f"/adult/exemptions/decide/{pk}", {"action": "city_approve"})

    forward()
    with app.app_context():
        assert db.session.get(AdultExemption, pk).state == "applied"
    assert "尚未现场确认" in text(city.get(f"/adult/exemptions/show/{pk}"))
    assert confirm(reviewer, app, cid).status_code == 302
    assert forward().status_code == 302
    with app.app_context():
        assert db.session.get(AdultExemption, pk).state == exemption.SENT
    province = login("henan_admin")
    page = text(province.get(f"/adult/exemptions/show/{pk}"))
    assert f"/adult/onsite/{cid}/process.pdf" in page
    assert province.get(f"/adult/onsite/{cid}/process.pdf").status_code == 200
    province.refresh_token("/adult/exemptions/list/")
    resp = province.post("/adult/onsite/batch", {"which": "exemption"})
    assert resp.status_code == 302, text(resp)
    run_jobs()
    with app.app_context():
        batch = db.session.execute(select(PrintBatch).order_by(PrintBatch.id.desc())).scalar()
        assert batch.kind == "process" and batch.candidate_ids == [cid]
        db.session.execute(delete(AdultExemption).where(AdultExemption.id == pk))
        db.session.commit()


@pytest.mark.parametrize("count", [2, 20])
def test_candidates_confirmed_in_a_row(app, windows, staff, reviewer, count):
    first = ready(app, staff)
    with app.app_context():
        photo = db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == first, CandidatePhoto.current.is_(True))).scalar_one()
        shape = (photo.file_sha256, photo.original_sha256, photo.checks)
    ids = [first]
    for i in range(count - 1):
        cid, _n, _i = make(app, state="confirmed", name=f"连续确认{i}")
        with app.app_context():
            db.session.add(CandidatePhoto(candidate_id=cid, kind="photo", file_sha256=shape[0],
                                          original_sha256=shape[1], checks=shape[2],
                                          current=True))
            db.session.commit()
        ids.append(cid)
    for cid in ids:
        assert confirm(reviewer, app, cid).status_code == 302, cid
    with app.app_context():
        states = db.session.execute(select(Candidate.state).where(
            Candidate.id.in_(ids))).scalars().all()
        rows = db.session.execute(select(AdultOnsite).where(
            AdultOnsite.candidate_id.in_(ids))).scalars().all()
    assert set(states) == {"school_approved"} and len(rows) == count


def test_the_screens_read_in_chinese(app, windows, staff, reviewer, login):
    from test_zh_staff_screens import visible

    cid = ready(app, staff)
    english = re.compile(r"\b[A-Za-z]{3,}\b")
    pages = [(reviewer, "/adult/onsite/"), (reviewer, f"/adult/onsite/{cid}"),
             (staff, f"/adult/onsite/{cid}"), (login("zz_admin"), "/adult/onsite/batch")]
    for client, url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        words = [w for part in visible(resp) for w in english.findall(part)
                 if w not in ("PDF", "English", "JPEG", "PNG", "WebP", "dpi", "EXIF")]
        assert not words, (url, words)
