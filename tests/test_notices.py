"""报考须知 / announcements (issue 18.1): administrators publish notices for their own region;
anyone reads the published ones before registering, and a candidate's own page lists those of
its unit and every region above — not a sibling county's, not a draft."""
from sqlalchemy import select

from app.exams.notices import Notice
from app.extensions import db
from conftest import Client
from factories import make_candidate
from helpers import activate, exam_id, issue, me_login, node_id, text


def write(client, **form):
    client.refresh_token("/notices/add")
    return client.post("/notices/add", form)


def notice_id(app, title):
    with app.app_context():
        return db.session.execute(select(Notice.id).where(Notice.title == title)).scalar()


def test_regions_drafts_and_the_candidates_view(app, login):
    eid = exam_id(app)
    province, county, sibling = login("henan_admin"), login("zy_admin"), login("eq_admin")
    assert write(province, exam=eid, node=node_id(app, "410000"), title="全省报考须知",
                 body="第一段。\n\n第二段。", published="y").status_code == 302
    assert write(county, exam=eid, node=node_id(app, "410102"), title="中原区确认安排",
                 body="请携带身份证。", published="y").status_code == 302
    assert write(sibling, exam=eid, node=node_id(app, "410103"), title="二七区确认安排",
                 body="二七区。", published="y").status_code == 302
    assert write(county, exam=eid, node=node_id(app, "410102"), title="中原区草稿",
                 body="未发布。").status_code == 302
    # A county cannot write for another county (nothing stored).
    write(county, exam=eid, node=node_id(app, "410103"), title="越权公告", body="越权。",
          published="y")
    assert notice_id(app, "越权公告") is None
    assert "二七区确认安排" not in text(county.get("/notices/list/"))
    assert county.get(f"/notices/show/{notice_id(app, '二七区确认安排')}").status_code == 404

    public = Client(app)
    page = text(public.get("/me/notices"))
    assert "全省报考须知" in page and "中原区确认安排" in page and "中原区草稿" not in page
    page = text(public.get(f"/me/notices/{notice_id(app, '全省报考须知')}"))
    assert "第一段。" in page and "第二段。" in page
    assert public.get(f"/me/notices/{notice_id(app, '中原区草稿')}").status_code == 404

    cid = make_candidate(app, name="须知考生")
    with app.app_context():
        from app.candidates.models import Candidate
        id_number = db.session.get(Candidate, cid).id_number
    cand = Client(app)
    school = login("zy_school")
    assert activate(cand, id_number, issue(school, cid)).status_code == 302
    me_login(cand, id_number)
    assert "报考须知" in text(cand.get("/me/")) or "须知" in text(cand.get("/me/"))
    own = text(cand.get("/me/my-notices"))
    assert "全省报考须知" in own and "中原区确认安排" in own
    assert "二七区确认安排" not in own and "中原区草稿" not in own
