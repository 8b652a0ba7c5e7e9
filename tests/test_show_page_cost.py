"""The candidate page (考生详情) at province scale (issue 14): its SQL statements per exam kind
stay at the figures below for every role, whatever the tabs hold. A tab without rows of the
record costs no query of its own (one statement asks every tab at once); a tab with rows still
lists them through its view's scope; the dossier reads the review events and the pictures
once for the timeline, the lock status and the photo column."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate, Guardian, StudyHistory
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from helpers import sql_statements

#: statements of the page of a demo record per exam kind, for every role (32 for 高考 and 26
#: for 中招 before, as the province administrator).
MAX_STATEMENTS = {ZHONGZHAO: 18, GAOKAO: 16, ADULT: 15}
#: the tables of the candidate's own tabs and the 高考 archive's.
TAB_TABLES = ("ks_guardian", "ks_study_history", "ks_quality_evaluation", "ks_report_record",
              "ks_physical_exam", "ks_integrity_record", "ks_gaokao_registration")
ROLES = ("henan_admin", "zz_admin", "zy_admin", "zy_school")


#: zy_school's school; 成人高考 records are at 中原区's registration point (BM410102).
SCHOOL, COUNTY = "/410000/410100/410102/41010201/", "/410000/410100/410102/"


def first_of(app, kind):
    """The first record of exam kind ``kind`` in zy_school's school (成人高考: in 中原区)."""
    prefix = COUNTY if kind == ADULT else SCHOOL
    with app.app_context():
        return db.session.execute(select(Candidate.id).join(Exam).join(
            Node, Node.id == Candidate.node_id).where(
            Exam.kind == kind, Node.path.like(prefix + "%")).order_by(Candidate.id)
            .limit(1)).scalar_one()


def cost(app, client, path):
    """(statements, page) of ``path`` once the user's caches are filled."""
    assert client.get(path).status_code == 200
    with sql_statements(app) as seen:
        resp = client.get(path)
    assert resp.status_code == 200
    return list(seen), resp.get_data(as_text=True)


def tab_statements(seen):
    return [s for s in seen if any(t in s for t in TAB_TABLES)]


@pytest.fixture(scope="module")
def bare(app):
    """A 中招 record without guardians or study history (as the records a registry import
    loads), in 中原区's first school."""
    with app.app_context():
        source = db.session.get(Candidate, first_of(app, ZHONGZHAO))
        cand = Candidate(exam=source.exam, node=source.node, name="空白考生", gender="1",
                         birth_date=dt.date(2011, 5, 6), id_number="410102201105060014")
        db.session.add(cand)
        db.session.commit()
        return cand.id


@pytest.mark.parametrize("kind", [ZHONGZHAO, GAOKAO, ADULT])
@pytest.mark.parametrize("user", ROLES)
def test_statements_per_exam_kind(app, login, kind, user):
    cid = first_of(app, kind)
    client = login(user)
    path = f"/candidateview/show/{cid}"
    if kind == ADULT and user == "zy_school":
        assert client.get(path).status_code == 404  # a registration point's record
        return
    seen, page = cost(app, client, path)
    assert len(seen) <= MAX_STATEMENTS[kind], "\n".join(seen)
    # The record's own tabs are there, with their rows (a demo 中招 record has a guardian).
    with app.app_context():
        guardian = db.session.execute(select(Guardian.name).where(
            Guardian.candidate_id == cid)).scalars().first()
    assert 'href="#GuardianView"' in page
    assert guardian is None and kind != ZHONGZHAO or guardian in page
    # One statement asks every tab; a tab with rows then counts and lists them.
    probes = [s for s in seen if "EXISTS" in s.upper()]
    assert len(probes) == 1


def test_an_empty_tab_costs_no_query_and_still_offers_adding(app, login, bare):
    client = login("zy_admin")
    seen, page = cost(app, client, f"/candidateview/show/{bare}")
    assert len(tab_statements(seen)) == 1, "\n".join(tab_statements(seen))
    for view in ("GuardianView", "StudyHistoryView", "QualityEvaluationView"):
        assert f'id="{view}"' in page
    # The empty tab is FAB's own list: its add button opens the form for this candidate.
    assert f"/guardianview/add?_flt_0_candidate={bare}" in page
    # A row added later shows at once (nothing about the tab is remembered between requests).
    with app.app_context():
        db.session.add(StudyHistory(candidate_id=bare, start=dt.date(2024, 9, 1),
                                    school="空白考生的初中", role="学生"))
        db.session.commit()
    seen, page = cost(app, client, f"/candidateview/show/{bare}")
    assert "空白考生的初中" in page
    assert len(tab_statements(seen)) == 3  # the probe, then the study history's count and rows


def test_list_pages_of_the_tabs_views_are_unchanged(app, login, bare):
    """The empty-tab answer is the page's own: the same view's list page, right after, lists
    every guardian of the subtree."""
    client = login("zy_admin")
    client.get(f"/candidateview/show/{bare}")
    with app.app_context():
        name = db.session.execute(select(Guardian.name).join(Candidate).where(
            Candidate.id == first_of(app, ZHONGZHAO))).scalars().first()
    page = client.get("/guardianview/list/").get_data(as_text=True)
    assert name in page


def test_a_tab_lists_only_rows_in_the_users_scope(app, login):
    """The probe is unscoped: it only spares the queries of tabs without any row. Another
    county's user still gets no page of the record, and the record's rows stay out of it."""
    cid = first_of(app, ZHONGZHAO)
    other = login("eq_admin")
    assert other.get(f"/candidateview/show/{cid}").status_code == 404


def test_the_page_of_a_locked_record_names_who_locked_and_unlocked_it(app, login):
    """The lock status comes from the review events the timeline reads (no query of its own
    when they hold the answer)."""
    from app.review.models import ReviewEvent

    cid = first_of(app, GAOKAO)
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        at = dt.datetime(2026, 3, 2, 10, 0)
        db.session.add_all([
            ReviewEvent(candidate_id=cid, action="mark_signed", from_state=cand.state,
                        to_state=cand.state, actor="zy_admin", at=at),
            ReviewEvent(candidate_id=cid, action="unlock", from_state=cand.state,
                        to_state=cand.state, actor="henan_admin", reason="改正户籍",
                        at=at + dt.timedelta(hours=1)),
            ReviewEvent(candidate_id=cid, action="relock", from_state=cand.state,
                        to_state=cand.state, actor="zz_admin", at=at + dt.timedelta(hours=2)),
        ])
        cand.locked = True
        db.session.commit()
    seen, page = cost(app, login("zy_admin"), f"/candidateview/show/{cid}")
    assert "（zz_admin）" in page and "2026-03-02 12:00" in page  # locked by, at
    assert "改正户籍" in page and "（henan_admin）" in page  # the last unlock
    assert len([s for s in seen if "ks_review_event" in s]) == 1


def test_the_page_builds_no_search_filter_catalogue(app, login, monkeypatch):
    """FAB builds every column's search filters with each ``Filters`` (a type inspection per
    column: for the record and twice per tab, most of the page's time in Python before); the
    page and its tabs offer no search. Only FAB's own query of a tab with rows still does
    (its count and its rows: the study history's seven columns, twice)."""
    from flask_appbuilder.models.filters import Filters

    built = []
    original = Filters._get_filters
    monkeypatch.setattr(Filters, "_get_filters",
                        lambda self, cols: built.append(self.datamodel.obj.__tablename__)
                        or original(self, cols))
    client = login("zy_admin")
    path = f"/candidateview/show/{first_of(app, GAOKAO)}"  # a study period, nothing else
    client.get(path)
    built.clear()
    assert client.get(path).status_code == 200
    assert built == ["ks_study_history"] * 2
