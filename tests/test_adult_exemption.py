"""成人高考 免试入学 through HTTP (issue 18.6): the candidate applies on the self-service pages
with a supporting scan, the city reviews first and sends it to the province, the province
decides; an approved exemption is what ``exempt_clause`` reports (numbering seats nobody it
holds)."""
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.adult import exemption
from app.adult.exemption_models import AdultExemption
from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT
from app.extensions import db
from helpers import OPEN, PAST, text

PDF = b"%PDF-1.4\n% certificate of a model worker\n"


@pytest.fixture
def windows(phase):
    phase("exemption_review", *OPEN, kind=ADULT)


def apply(me, kind="1", note="省级劳动模范", data=PDF, name="cert.pdf", version=None):
    me.refresh_token("/me/adult/exemption")
    form = {"kind": kind, "note": note}
    if data is not None:
        form["scan"] = (io.BytesIO(data), name)
    if version is not None:
        form["version"] = str(version)
    return me.post("/me/adult/exemption", form, content_type="multipart/form-data")


def row(app, cid):
    with app.app_context():
        found = db.session.execute(select(AdultExemption).where(
            AdultExemption.candidate_id == cid)).scalar_one_or_none()
        return None if found is None else (found.id, found.state, found.reason, found.kind,
                                           found.version)


def decide(client, pk, action, reason=""):
    client.refresh_token(f"/adult/exemptions/show/{pk}")
    return client.post(f"/adult/exemptions/decide/{pk}", {"action": action, "reason": reason})


def exempt(app, cid):
    with app.app_context():
        return db.session.execute(select(Candidate.id).where(
            Candidate.id == cid, exemption.exempt_clause())).scalar() is not None


def confirmed_on_site(app, cid):
    """The point's on-site confirmation (the first review's approval): the city forwards an
    application only then (onsite; tests/test_adult_onsite.py drives the screen)."""
    with app.app_context():
        db.session.get(Candidate, cid).state = "school_approved"
        db.session.commit()


def test_apply_city_province_and_exempt(app, adult, windows, login):
    me, cid = adult(name="免试考生")
    status = text(me.get("/me/"))
    assert "免试入学" in status and "未申请" in status
    page = text(me.get("/me/adult/exemption"))
    assert "省部级以上劳动模范" in page and 'type="file"' in page
    assert apply(me).status_code == 302
    pk, state, _r, kind, _v = row(app, cid)
    assert state == exemption.APPLIED and kind == "1" and not exempt(app, cid)
    assert "待市（州）审核" in text(me.get("/me/"))
    # The county cannot act; the city cannot take the province's step.
    decide(login("zy_admin"), pk, "city_approve")
    assert row(app, cid)[1] == exemption.APPLIED
    city = login("zz_reviewer")
    assert "免试考生" in text(city.get("/adult/exemptions/list/"))
    page = text(city.get(f"/adult/exemptions/show/{pk}"))
    assert "初审通过并报省" in page and "下载证明材料" in page
    download = city.get(f"/adult/exemptions/scan/{pk}")
    assert download.status_code == 200 and download.data == PDF
    assert decide(city, pk, "province_approve").status_code in (302, 403, 422)
    assert row(app, cid)[1] == exemption.APPLIED
    confirmed_on_site(app, cid)
    assert decide(city, pk, "city_approve").status_code == 302
    assert row(app, cid)[1] == exemption.SENT and not exempt(app, cid)
    # Once the city acted the candidate can no longer replace or withdraw it.
    apply(me, kind="2", version=row(app, cid)[4])
    assert row(app, cid)[1:4:2] == (exemption.SENT, "1")
    me.refresh_token("/me/adult/exemption")
    me.post("/me/adult/exemption/withdraw", {})
    assert row(app, cid)[1] == exemption.SENT
    for name in ("zz_admin", "zy_admin"):
        decide(login(name), pk, "province_approve")
        assert row(app, cid)[1] == exemption.SENT
    province = login("henan_admin")
    assert decide(province, pk, "province_approve").status_code == 302
    assert row(app, cid)[1] == exemption.APPROVED and exempt(app, cid)
    assert "免试（已批准）" in text(me.get("/me/"))
    with app.app_context():
        audited = set(db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == "ks_adult_exemption", AuditLog.row_id == pk)).scalars())
        assert {"insert", "update", "download"} <= audited


def test_rejections_need_a_reason(app, adult, windows, login):
    me, cid = adult(name="驳回考生")
    apply(me)
    pk = row(app, cid)[0]
    city = login("zz_admin")
    decide(city, pk, "city_reject", reason="")
    assert row(app, cid)[1] == exemption.APPLIED
    confirmed_on_site(app, cid)
    decide(city, pk, "city_approve")
    province = login("henan_admin")
    decide(province, pk, "province_reject", reason="")
    assert row(app, cid)[1] == exemption.SENT
    decide(province, pk, "province_reject", reason="证书非省部级")
    assert row(app, cid)[1:3] == (exemption.REJECTED, "证书非省部级") and not exempt(app, cid)
    page = text(me.get("/me/adult/exemption"))
    assert "证书非省部级" in page and 'type="file"' not in page


def test_city_rejection_and_withdraw_resubmit(app, adult, windows, login):
    me, cid = adult(name="撤回考生")
    apply(me)
    me.refresh_token("/me/adult/exemption")
    assert me.post("/me/adult/exemption/withdraw",
                   {"version": str(row(app, cid)[4])}).status_code == 302
    assert row(app, cid)[1] == exemption.WITHDRAWN
    assert apply(me, kind="3", note="全国比赛第二名").status_code == 302
    assert row(app, cid)[1:4:2] == (exemption.APPLIED, "3")
    pk = row(app, cid)[0]
    decide(login("zz_reviewer"), pk, "city_reject", reason="材料不全")
    assert row(app, cid)[1:3] == (exemption.REJECTED, "材料不全")
    # The province cannot approve what the city rejected.
    decide(login("henan_admin"), pk, "province_approve")
    assert row(app, cid)[1] == exemption.REJECTED and not exempt(app, cid)


def test_bad_input_is_refused_and_kept(app, adult, windows):
    me, cid = adult(name="材料考生")
    resp = apply(me, data=b"GIF89a not a scan", name="cert.gif")
    assert resp.status_code == 400 and "PDF 或 JPEG" in text(resp)
    assert "省级劳动模范" in text(resp)  # the note stays
    resp = apply(me, data=None)
    assert resp.status_code == 400
    resp = apply(me, kind="9", note="")
    assert resp.status_code == 422 and "备注" in text(resp)
    resp = apply(me, kind="")
    assert resp.status_code == 422
    assert row(app, cid) is None


def test_closed_window_refuses_the_city(app, adult, phase, login):
    phase("exemption_review", *PAST, kind=ADULT)
    me, cid = adult(name="窗口考生")
    apply(me)
    pk = row(app, cid)[0]
    decide(login("zz_admin"), pk, "city_approve")
    assert row(app, cid)[1] == exemption.APPLIED


def test_sibling_county_and_other_exams(app, adult, windows, login, candidate):
    me, cid = adult(name="范围考生")
    apply(me)
    pk = row(app, cid)[0]
    other = login("eq_admin")
    assert other.get(f"/adult/exemptions/show/{pk}").status_code == 404
    assert other.get(f"/adult/exemptions/scan/{pk}").status_code == 404
    assert decide(other, pk, "city_approve").status_code == 404
    assert "范围考生" not in text(other.get("/adult/exemptions/list/"))
    assert row(app, cid)[1] == exemption.APPLIED
    zhongzhao, _cid, _idn = candidate()
    assert zhongzhao.get("/me/adult/exemption").status_code == 404


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("title", "placeholder") and v]

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def english(resp, allowed=("PDF", "JPEG", "MB", "English")):
    """English words a Chinese page shows (user names and file names aside)."""
    parser = _Visible()
    parser.feed(text(resp))
    words = set(re.findall(r"(?<![\w.])[A-Za-z]{3,}(?![\w.])", " ".join(parser.parts)))
    return words - set(allowed)


def test_pages_are_chinese(app, adult, windows, login):
    me, cid = adult(name="中文考生")
    assert english(me.get("/me/adult/exemption")) == set()
    apply(me)
    assert english(me.get("/me/adult/exemption")) == set()
    pk = row(app, cid)[0]
    for who in ("zz_reviewer", "henan_admin"):
        staff = login(who)
        for url in (f"/adult/exemptions/show/{pk}", "/adult/exemptions/list/",
                    "/adult/bonuses/list/", "/adult/bonuses/enter"):
            resp = staff.get(url)
            allowed = ("PDF", "JPEG", "MB", "English", who)
            assert resp.status_code == 200 and english(resp, allowed) == set(), (who, url)
