"""成人高考 照顾加分 through HTTP (issue 18.7): the city enters a candidate's bonus by policy
type (candidate chosen with the picker), the province approves or rejects it; approved points
are what ``approved_bonus_points`` gives the scores and the 考生登记表."""
import pytest
from sqlalchemy import select

from app.adult import exemption
from app.adult.exemption_models import AdultBonus
from app.audit import AuditLog
from app.codes import ADULT
from app.extensions import db
from factories import adult_candidate, self_service_candidate
from helpers import OPEN, PAST, text


@pytest.fixture
def window(phase):
    phase("bonus_entry", *OPEN, kind=ADULT)


def enter(client, cid, kind="1", points="", note=""):
    client.refresh_token("/adult/bonuses/enter")
    return client.post("/adult/bonuses/enter", {"candidate": str(cid), "kind": kind,
                                                "points": points, "note": note})


def row(app, cid):
    with app.app_context():
        found = db.session.execute(select(AdultBonus).where(
            AdultBonus.candidate_id == cid)).scalar_one_or_none()
        return None if found is None else (found.id, found.state, found.points, found.reason,
                                           found.kind)


def decide(client, pk, action, reason=""):
    client.refresh_token(f"/adult/bonuses/show/{pk}")
    return client.post(f"/adult/bonuses/decide/{pk}", {"action": action, "reason": reason})


def points(app, *ids):
    with app.app_context():
        return exemption.approved_bonus_points(ids)


def test_city_enters_province_approves(app, window, login):
    cid = adult_candidate(app, name="加分考生").id
    other = adult_candidate(app, name="无加分考生").id
    city = login("zz_admin")
    page = text(city.get("/adult/bonuses/enter"))
    assert "ks-candidate-picker" in page and "年满25周岁" in page and "<option" in page
    assert "加分考生" not in page  # no candidate list on the page
    resp = enter(city, cid, kind="5")
    assert resp.status_code == 302
    pk, state, pts, _r, kind = row(app, cid)
    assert (state, pts, kind) == (exemption.ENTERED, 10, "5") and points(app, cid) == {}
    page = text(city.get(f"/adult/bonuses/show/{pk}"))
    assert "审核通过（省）" not in page  # the city is offered no province step
    # Neither the city nor the county can take the province's step.
    for name in ("zz_admin", "zz_reviewer", "zy_admin"):
        decide(login(name), pk, "province_approve")
        assert row(app, cid)[1] == exemption.ENTERED
    province = login("henan_admin")
    assert "加分考生" in text(province.get("/adult/bonuses/list/"))
    page = text(province.get(f"/adult/bonuses/show/{pk}"))
    assert "审核通过（省）" in page
    assert decide(province, pk, "province_approve").status_code == 302
    assert row(app, cid)[1] == exemption.APPROVED
    assert points(app, cid, other) == {cid: 10}
    with app.app_context():
        audited = set(db.session.execute(select(AuditLog.action).where(
            AuditLog.table_name == "ks_adult_bonus", AuditLog.row_id == pk)).scalars())
        assert {"insert", "update"} <= audited


def test_rejection_needs_a_reason_and_the_city_corrects(app, window, login):
    cid = adult_candidate(app, name="改分考生").id
    city = login("zz_reviewer")
    enter(city, cid, kind="1", points="15")
    pk = row(app, cid)[0]
    assert row(app, cid)[2] == 15
    province = login("henan_admin")
    decide(province, pk, "province_reject", reason="")
    assert row(app, cid)[1] == exemption.ENTERED
    decide(province, pk, "province_reject", reason="年龄不足25周岁")
    assert row(app, cid)[1:4] == (exemption.REJECTED, 15, "年龄不足25周岁")
    assert points(app, cid) == {}
    assert enter(city, cid, kind="4").status_code == 302
    assert row(app, cid)[1:4] == (exemption.ENTERED, 20, None)


def test_bad_entries_are_refused_and_kept(app, window, login):
    cid = adult_candidate(app, name="错分考生").id
    city = login("zz_admin")
    resp = enter(city, cid, kind="5", points="15")
    assert resp.status_code == 422 and "1 至 10 分" in text(resp)
    assert 'value="15"' in text(resp)
    resp = enter(city, cid, kind="9", points="5", note="")
    assert resp.status_code == 422 and "备注" in text(resp)
    assert enter(city, cid, kind="1", points="abc").status_code == 422
    assert enter(city, cid, kind="").status_code == 422
    # A 中招 candidate has no 成人高考 bonus; an unknown candidate is refused.
    zhongzhao = self_service_candidate(app).id
    assert enter(city, zhongzhao).status_code == 400
    assert enter(city, 99999999).status_code == 400
    assert row(app, cid) is None and row(app, zhongzhao) is None
    # The county enters nothing (and is offered no button).
    county = login("zy_admin")
    assert 'id="enter-bonus"' not in text(county.get("/adult/bonuses/list/"))
    assert 'id="enter-bonus"' in text(city.get("/adult/bonuses/list/"))
    assert enter(county, cid).status_code in (403, 422)
    assert row(app, cid) is None


def test_closed_window(app, phase, login):
    phase("bonus_entry", *PAST, kind=ADULT)
    cid = adult_candidate(app, name="窗口加分").id
    resp = enter(login("zz_admin"), cid)
    assert resp.status_code == 403 and row(app, cid) is None


def test_sibling_county_sees_nothing(app, window, login):
    cid = adult_candidate(app, name="范围加分").id
    enter(login("zz_admin"), cid)
    pk = row(app, cid)[0]
    other = login("eq_admin")
    assert other.get(f"/adult/bonuses/show/{pk}").status_code == 404
    assert decide(other, pk, "province_approve").status_code == 404
    assert "范围加分" not in text(other.get("/adult/bonuses/list/"))
    assert login("zy_admin").get(f"/adult/bonuses/show/{pk}").status_code == 200
