"""证件审核 through HTTP (issue 18.2): the point records the copy of a passport or travel
permit, the city approves or rejects it, and only then does the candidate count
(candidates/documents.cleared_clause)."""
import datetime as dt
import io

from sqlalchemy import select

from app.audit import AuditLog
from app.candidates import documents
from app.candidates.models import Candidate, DocumentCheck
from app.extensions import db
from helpers import exam_id, node_id, text

PDF = b"%PDF-1.4\n% copy of a passport\n"


def holder(app, number, id_type="6", school="41010201"):
    with app.app_context():
        cand = Candidate(exam_id=exam_id(app), node_id=node_id(app, school), name="护照考生",
                         gender="1", id_type=id_type, id_number=number,
                         birth_date=dt.date(2008, 5, 5))
        db.session.add(cand)
        db.session.commit()
        return cand.id


def submit(client, cid, data=PDF, name="passport.pdf", version=None):
    client.refresh_token(f"/documents/candidate/{cid}")
    form = {"copy": (io.BytesIO(data), name)} if data is not None else {}
    if version is not None:
        form["version"] = str(version)
    return client.post(f"/documents/candidate/{cid}", form, content_type="multipart/form-data")


def check(app, cid):
    with app.app_context():
        found = db.session.execute(select(DocumentCheck).where(
            DocumentCheck.candidate_id == cid)).scalar_one_or_none()
        return None if found is None else (found.id, found.state, found.reason, found.version)


def decide(client, check_id, action, reason=""):
    client.refresh_token(f"/documents/show/{check_id}")
    return client.post(f"/documents/decide/{check_id}", {"action": action, "reason": reason})


def counts(app, cid):
    with app.app_context():
        return db.session.execute(select(Candidate.id).where(
            Candidate.id == cid, documents.cleared_clause())).scalar() is not None


def test_copy_city_approval_and_counting(app, login):
    cid = holder(app, "P30000001")
    assert not counts(app, cid)
    point = login("zy_school")
    page = text(point.get(f"/documents/candidate/{cid}"))
    assert "护照（外籍）" in page and "未报送" in page and "P30000001" in page and "报送市（州）审核" in page
    assert submit(point, cid).status_code == 302
    check_id, state, _reason, _v = check(app, cid)
    assert state == "pending" and not counts(app, cid)
    # Only the city decides: the county administrator's request is refused.
    resp = decide(login("zy_admin"), check_id, "city_approve")
    assert check(app, cid)[1] == "pending" and resp.status_code in (302, 403, 422)
    city = login("zz_reviewer")
    listing = text(city.get("/documents/list/"))
    assert "护照考生" in listing and "待市（州）审核" in listing
    page = text(city.get(f"/documents/show/{check_id}"))
    assert "证件审核通过（市州）" in page and "下载复印件" in page
    download = city.get(f"/documents/copy/{check_id}")
    assert download.status_code == 200 and download.data == PDF
    assert decide(city, check_id, "city_approve").status_code == 302
    assert check(app, cid)[1] == "approved" and counts(app, cid)
    with app.app_context():
        audited = db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == "ks_document_check", AuditLog.row_id == check_id)).scalars()
        assert {"insert", "update", "download"} <= set(audited)


def test_rejection_needs_a_reason_and_a_new_copy_goes_back_to_the_city(app, login):
    cid = holder(app, "H30000002", id_type="3")
    point = login("zy_school")
    submit(point, cid)
    check_id = check(app, cid)[0]
    city = login("zz_admin")
    decide(city, check_id, "city_reject", reason="")
    assert check(app, cid)[1] == "pending"  # refused: a reason is required
    decide(city, check_id, "city_reject", reason="复印件模糊")
    assert check(app, cid)[1:3] == ("rejected", "复印件模糊") and not counts(app, cid)
    page = text(point.get(f"/documents/candidate/{cid}"))
    assert "复印件模糊" in page
    assert submit(point, cid, version=check(app, cid)[3]).status_code == 302
    assert check(app, cid)[1:3] == ("pending", None)


def test_bad_copies_are_refused_and_nothing_is_stored(app, login):
    cid = holder(app, "P30000003")
    point = login("zy_school")
    resp = submit(point, cid, data=b"GIF89a not a scan", name="copy.gif")
    assert resp.status_code in (302, 400)
    assert "PDF 或 JPEG" in text(point.get(resp.location)) if resp.status_code == 302 \
        else "PDF 或 JPEG" in text(resp)
    default = app.config["SCAN_MAX_BYTES"]
    app.config["SCAN_MAX_BYTES"] = 1024
    try:
        resp = submit(point, cid, data=PDF + b"0" * 2048)
    finally:
        app.config["SCAN_MAX_BYTES"] = default
    assert resp.status_code in (302, 400)
    resp = submit(point, cid, data=None)
    assert resp.status_code in (302, 400)
    assert check(app, cid) is None


def test_an_id_card_holder_has_nothing_to_review(app, login):
    with app.app_context():
        cid = db.session.execute(select(Candidate.id).where(
            Candidate.id_type == "1", Candidate.node_id == node_id(app, "41010201"))
            .order_by(Candidate.id)).scalars().first()
    point = login("zy_school")
    page = text(point.get(f"/documents/candidate/{cid}"))
    assert "无需审核：居民身份证" in page and 'type="file"' not in page
    submit(point, cid)
    assert check(app, cid) is None and counts(app, cid)


def test_another_county_cannot_see_or_decide(app, login):
    cid = holder(app, "P30000005")
    submit(login("zy_school"), cid)
    check_id = check(app, cid)[0]
    other = login("eq_admin")
    assert other.get(f"/documents/candidate/{cid}").status_code == 404
    assert other.get(f"/documents/show/{check_id}").status_code == 404
    assert other.get(f"/documents/copy/{check_id}").status_code == 404
    assert decide(other, check_id, "city_approve").status_code == 404
    assert check(app, cid)[1] == "pending"
