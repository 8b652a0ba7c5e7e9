"""The candidate list's count and page range stay cheap for a province (app/list_counts.py):
the unfiltered count comes from the progress counters, any other filter is counted up to a cap
(exact below it, "more than …" above it), and no page beyond the cap is served."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.candidates.models import Candidate
from app.candidates.states import DRAFT
from app.extensions import db
from app.jurisdiction import Node, subtree_ids
from factories import make_candidate
from helpers import exam_id, sql_statements, text

NAME = "计数测试"
LISTED = "/candidateview/list/?_flt_0_name=" + quote(NAME)
COUNT_RE = re.compile(r'<span class="ks-list-count" data-count-kind="([a-z-]+)"[^>]*>([^<]*)<')


@pytest.fixture(scope="module")
def six_named(app):
    """Six candidates of one name in a school of 中原区."""
    return [make_candidate(app, name=NAME) for _ in range(6)]


@pytest.fixture
def small_cap(app):
    default = app.config["LIST_COUNT_CAP"]
    app.config["LIST_COUNT_CAP"] = 3
    yield 3
    app.config["LIST_COUNT_CAP"] = default


def shown_count(page):
    """(kind, text) of the list header's count."""
    found = COUNT_RE.search(page)
    assert found, "no count on the list page"
    return found.group(1), found.group(2)


def rows_on(page):
    return page.count('class="action_check"')


def in_county(app, code="410102", **where):
    with app.app_context():
        path = db.session.execute(select(Node.path).where(Node.code == code)).scalar_one()
        stmt = select(func.count()).select_from(Candidate).where(
            Candidate.node_id.in_(subtree_ids(path)), *[getattr(Candidate, k) == v
                                                        for k, v in where.items()])
        return db.session.execute(stmt).scalar_one()


def run_recorded(app, client, path):
    """The response to ``path`` and the SQL statements it ran."""
    with sql_statements(app) as seen:
        resp = client.get(path)
    return resp, seen


def candidate_counts(statements):
    return [s for s in statements if re.search(r"count\(", s, re.I)
            and re.search(r"\bks_candidate\b", s)]


def test_a_filtered_county_list_is_counted_exactly(login, app, six_named):
    c = login("zy_admin")
    page = text(c.get(LISTED))
    kind, shown = shown_count(page)
    assert (kind, shown) == ("exact", "6")
    assert rows_on(page) == 6


def test_the_unfiltered_count_comes_from_the_progress_counters(login, app, six_named):
    c = login("zy_admin")
    c.get("/candidateview/list/")
    resp, seen = run_recorded(app, c, "/candidateview/list/")
    assert resp.status_code == 200
    kind, shown = shown_count(text(resp))
    assert kind == "counters"
    assert int(re.match(r"[\d,]+", shown).group().replace(",", "")) == in_county(app)
    assert candidate_counts(seen) == []


def test_exam_and_state_filters_are_counted_by_the_counters(login, app, six_named):
    c = login("zy_admin")
    exam = exam_id(app)
    resp, seen = run_recorded(
        app, c, f"/candidateview/list/?_flt_0_exam={exam}&_flt_0_state={DRAFT}&psize_CandidateView=100")
    page = text(resp)
    kind, shown = shown_count(page)
    expected = in_county(app, exam_id=exam, state=DRAFT)
    assert kind == "counters" and int(re.match(r"[\d,]+", shown).group().replace(",", "")) == expected
    assert candidate_counts(seen) == []
    if expected <= 100:
        assert rows_on(page) == expected


def test_above_the_cap_the_count_is_bounded_and_says_so(login, app, six_named, small_cap):
    c = login("zy_admin")
    resp, seen = run_recorded(app, c, LISTED)
    page = text(resp)
    kind, shown = shown_count(page)
    assert kind == "at-least"
    assert "超过 3" in shown
    counts = candidate_counts(seen)
    assert counts and all(re.search(r"\bLIMIT\b", s, re.I) for s in counts)


def test_the_pager_offers_no_page_beyond_the_cap(login, app, six_named, small_cap):
    c = login("zy_admin")
    page = text(c.get(LISTED + "&psize_CandidateView=1"))
    assert "page_CandidateView=2" in page
    assert "page_CandidateView=3" not in page
    assert rows_on(text(c.get(LISTED + "&psize_CandidateView=1&page_CandidateView=2"))) == 1


@pytest.mark.parametrize("query", ["&psize_CandidateView=1&page_CandidateView=3",
                                   "&psize_CandidateView=1&page_CandidateView=999999"])
def test_a_page_beyond_the_cap_is_the_last_page_within_it_with_a_notice(
        login, app, six_named, small_cap, query):
    c = login("zy_admin")
    resp, seen = run_recorded(app, c, LISTED + query)
    assert resp.status_code == 200
    page = text(resp)
    assert "缩小查询条件" in page
    assert rows_on(page) == 1
    offsets = [int(m) for s in seen for m in re.findall(r"OFFSET (\d+)", s)]
    assert all(o < 3 for o in offsets)


def test_a_deep_page_on_the_default_cap_is_bounded_too(login, app, six_named):
    c = login("zy_admin")
    page = text(c.get("/candidateview/list/?page_CandidateView=1000"))
    assert "缩小查询条件" in page and "共 200 页" in page
    assert "缩小查询条件" not in text(c.get("/candidateview/list/?page_CandidateView=1"))


def test_ordering_by_another_column_keeps_the_count(login, app, six_named):
    c = login("zy_admin")
    with app.app_context():
        for cid, number in zip(six_named, ("K3", "K1", "K6", "K2", "K5", "K4")):
            db.session.get(Candidate, cid).candidate_number = f"41010{number}"
        db.session.commit()
    page = text(c.get(LISTED + "&_oc_CandidateView=candidate_number&_od_CandidateView=desc"))
    assert shown_count(page) == ("exact", "6")
    shown = re.findall(r"41010K(\d)", page)
    assert shown == sorted(shown, reverse=True) and len(shown) == 6

