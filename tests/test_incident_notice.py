"""The incident notice on the home page (突发事件通报, seed 004: 市（州）要及时报告省) and the
escalation of an incident to the level above, through HTTP: a county's incident is on the city's
and the province's home page at once, never on a sibling county's; a closed one leaves the
notice; reporting it up goes county → city → province, by the unit it is with only, audited."""
import re

from sqlalchemy import select

from app.audit import AuditLog
from app.extensions import db
from app.playbooks.models import Incident
from helpers import exam_id, incident_post, open_incident, text


def notice(client):
    """The notice box of the home page ("" when there is none)."""
    page = text(client.get("/"))
    match = re.search(r'<div class="alert alert-danger" role="alert" id="incident-notice">'
                      r'(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def listed(client, incident_id):
    return f"/incidents/show/{incident_id}" in notice(client)


def saved(app, incident_id):
    with app.app_context():
        inc = db.session.get(Incident, incident_id)
        return (inc.status, inc.escalated_to.code if inc.escalated_to else None,
                inc.escalated_by.username if inc.escalated_by else None, inc.escalated_on)


def test_a_county_incident_is_on_the_home_pages_above_until_closed(app, login, ids):
    county = login("zy_admin")
    inc = open_incident(county, ids, "power", exam_id(app), summary="中原区报名点停电")
    assert inc is not None
    province = login("henan_admin")
    box = notice(province)
    assert f'href="/incidents/show/{inc}"' in box
    assert "辖区内发生停电" in box and "中原区" in box and "中原区管理员" in box
    assert "突发事件" in box and 'href="/incidents/list/"' in box
    assert listed(login("zz_admin"), inc) and listed(county, inc)
    # a sibling county, a school and the notice's absence: nothing of it
    assert not listed(login("eq_admin"), inc)
    assert notice(login("zy_school")) == ""
    # resolved and closed: off the notice
    assert incident_post(county, inc, "status", transition="close", note="已恢复供电"
                         ).status_code == 302
    assert saved(app, inc)[0] == "closed"
    assert not listed(province, inc) and not listed(county, inc)


def test_escalation_goes_up_one_level_at_a_time_by_the_unit_it_is_with(app, login, ids):
    county, city, province = login("zy_admin"), login("zz_admin"), login("henan_admin")
    inc = open_incident(county, ids, "attack", exam_id(app), summary="发现攻击")
    # not the city's to report yet, and a sibling county does not even see it
    resp = incident_post(city, inc, "status", transition="escalate")
    assert resp.status_code == 422 and "只有该单位的管理员" in text(resp)
    assert incident_post(login("eq_admin"), inc, "status", transition="escalate"
                         ).status_code == 404
    assert saved(app, inc)[1] is None
    # the county reports it to the city
    page = text(county.get(f"/incidents/show/{inc}"))
    assert 'value="escalate"' in page and "上报上一级" in page
    resp = incident_post(county, inc, "status", transition="escalate", note="请市招办协调")
    assert resp.status_code == 302
    status, to, by, at = saved(app, inc)
    assert (status, to, by) == ("open", "410100", "zy_admin") and at is not None
    box = notice(city)
    item = box[box.index(f'data-incident="{inc}"'):]
    assert "已上报郑州市" in item[:item.index("</li>")] and "label-danger" in item[:item.index("</li>")]
    assert "已上报郑州市" in notice(province)
    page = text(county.get(f"/incidents/show/{inc}"))
    assert "请市招办协调" in page and "已上报郑州市" in page
    # the county may not report it again: it is with the city now
    assert incident_post(county, inc, "status", transition="escalate").status_code == 422
    # the city reports it to the province (市（州）要及时报告省), which has no level above
    assert incident_post(city, inc, "status", transition="escalate").status_code == 302
    assert saved(app, inc)[1:3] == ("410000", "zz_admin")
    assert "已上报河南省" in notice(province)
    resp = incident_post(province, inc, "status", transition="escalate")
    assert resp.status_code == 422 and "已在省级" in text(resp)
    assert 'value="escalate" class="btn btn-sm btn-warning" style="margin-right:.5em" disabled' in (
        text(province.get(f"/incidents/show/{inc}")))
    with app.app_context():
        audited = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_incident", AuditLog.row_id == inc,
            AuditLog.action == "update").order_by(AuditLog.id)).scalars().all()
    assert [a.username for a in audited] == ["zy_admin", "zz_admin"]
    assert "escalated_to_id" in audited[0].changes


def test_an_escalated_incident_comes_first_on_the_notice(app, login, ids):
    county = login("zy_admin")
    exam = exam_id(app)
    first = open_incident(county, ids, "network", exam, summary="较早的事件")
    later = open_incident(county, ids, "overload", exam, summary="较晚的事件")
    box = notice(login("henan_admin"))
    assert box.index(f'data-incident="{later}"') < box.index(f'data-incident="{first}"')
    assert incident_post(county, first, "status", transition="escalate").status_code == 302
    box = notice(login("henan_admin"))
    assert box.index(f'data-incident="{first}"') < box.index(f'data-incident="{later}"')
