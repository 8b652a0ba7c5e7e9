"""Pages whose cost must not grow with the rows they show: the SQL statements of a list page
are the same for 5 rows as for 50 (values shown per row are loaded for the page at once)."""
import datetime as dt
import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import PHOTO, CandidatePhoto, StoredFile
from helpers import sql_statements


@pytest.fixture
def fifty_in_a_school(app):
    """50 more candidates in one demo school, every other one with a current photo."""
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO,
                                                     Exam.year == 2026)).scalar_one()
        school = db.session.execute(select(Node).where(Node.code == "41010202")).scalar_one()
        taken = set(db.session.execute(select(Candidate.id_number)).scalars())
        birth = dt.date(2010, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 300)
        numbers = [n for n in (make_id_number("410105", birth, s) for s in range(1, 999))
                   if n not in taken][:50]
        cands = [Candidate(exam=exam, node=school, name="页面测试", gender="1",
                           birth_date=birth, id_number=n) for n in numbers]
        db.session.add_all(cands)
        db.session.flush()
        for cand in cands[::2]:
            sha = uuid.uuid4().hex * 2
            db.session.add(StoredFile(sha256=sha, size=1, content_type="image/jpeg"))
            db.session.flush()
            db.session.add(CandidatePhoto(candidate_id=cand.id, kind=PHOTO, file_sha256=sha,
                                          original_sha256=sha))
        db.session.commit()


def statements(app, client, path):
    with sql_statements(app) as seen:
        resp = client.get(path)
    assert resp.status_code == 200
    return len(seen), resp.get_data(as_text=True)


def test_candidate_list_costs_the_same_for_5_and_50_rows(login, app, fifty_in_a_school):
    c = login("zy_admin")
    c.get("/candidateview/list/")  # first request of the user: nothing cached yet
    listed = "/candidateview/list/?_flt_0_name=" + quote("页面测试")
    few, _page = statements(app, c, listed + "&psize_CandidateView=5")
    many, page = statements(app, c, listed + "&psize_CandidateView=50")
    assert page.count("页面测试") >= 50
    assert page.count("/photos/file/") >= 1  # thumbnails are still shown
    assert many == few


def test_menu_permissions_are_read_once_per_page(login, app):
    """FAB asks for each menu entry and button whether the user may see it; the answers come
    from one read of the user's permissions, not one query each (43 on this page before)."""
    c = login("henan_admin")
    c.get("/candidateview/list/")
    with sql_statements(app) as seen:
        assert c.get("/candidateview/list/").status_code == 200
    permission_reads = [s for s in seen if "ab_permission_view_role" in s]
    assert len(permission_reads) == 1
    assert len(seen) < 25


def test_a_records_page_runs_no_query_of_another_exam_kinds_tabs(login, app):
    """The candidate page's tabs of the 高考 archive (报名信息, 体检信息) are left out, with
    their queries, on a 中招 record (issue 14: the page had grown to 32 statements)."""
    from app.codes import GAOKAO

    with app.app_context():
        school = db.session.execute(select(Node.id).where(Node.code == "41010201")).scalar()
        ids = {kind: db.session.execute(select(Candidate.id).join(Exam).where(
            Exam.kind == kind, Candidate.node_id == school).order_by(Candidate.id).limit(1)
        ).scalar() for kind in (ZHONGZHAO, GAOKAO)}
    county = login("zy_admin")
    cost = {}
    for kind, cid in ids.items():
        statements(app, county, f"/candidateview/show/{cid}")  # caches filled
        with sql_statements(app) as seen:
            assert county.get(f"/candidateview/show/{cid}").status_code == 200
        cost[kind] = list(seen)
    zz = county.get(f"/candidateview/show/{ids[ZHONGZHAO]}").get_data(as_text=True)
    gk = county.get(f"/candidateview/show/{ids[GAOKAO]}").get_data(as_text=True)
    tab = 'href="#PhysicalExamView"'
    assert tab in gk and tab not in zz
    # (The tabs without rows cost no query of their own since, tests/test_show_page_cost.py:
    # the count of statements no longer tells; their tables do.)
    archive = ("ks_physical_exam", "ks_gaokao_registration", "ks_integrity_record")
    zz_sql = [s for s in cost[ZHONGZHAO] if any(t in s for t in archive)]
    gk_sql = [s for s in cost[GAOKAO] if any(t in s for t in archive)]
    assert not zz_sql and gk_sql
