"""Progress at a glance (issue 15 item 9): the home page draws each unit's completion as a
bar, highlights a unit behind schedule against its review window, and links every count to
the candidate list of that unit's subtree and state; it never reads the candidate table."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import event, select

from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.phases.rules import now_local
from app.validators import make_id_number

#: unit code → the states of the records the test puts there (names 进度<unit code>_<i>).
RECORDS = {
    "41010201": ["draft", "confirmed", "school_approved", "county_approved"],  # 中原区 school
    "41010301": ["confirmed", "confirmed", "county_approved"],  # 二七区 school
}


@pytest.fixture(scope="module")
def exam_id(app):
    """An exam of the test's own, so every count on the page is known."""
    with app.app_context():
        exam = Exam(kind=ZHONGZHAO, year=2035, name="进度条测试中招", active=True)
        db.session.add(exam)
        seq = 100
        for code, states in RECORDS.items():
            unit = db.session.execute(select(Node).where(Node.code == code)).scalar_one()
            for i, state in enumerate(states):
                seq += 1
                birth = dt.date(2010, 3, 4)
                db.session.add(Candidate(exam=exam, node=unit, name=f"进度{code}_{i}",
                                         gender="1", birth_date=birth, state=state,
                                         id_number=make_id_number("410102", birth, seq)))
        db.session.commit()
        return exam.id


def _row(page, exam_id, code):
    table = page[page.index(f'id="progress-{exam_id}"'):]
    match = re.search(rf'<tr data-unit="{code}"[^>]*>.*?</tr>', table, re.S)
    assert match, f"no progress row for {code}"
    return match.group(0)


def _names(client, url):
    page = client.get(url).get_data(as_text=True)
    return set(re.findall(r"进度\d+_\d+", page))


def _expected(codes, state=None):
    return {f"进度{code}_{i}" for code in codes for i, s in enumerate(RECORDS[code])
            if state in (None, s)}


def _set_review_window(app, exam_id, end):
    with app.app_context():
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == exam_id, Phase.activity == "school_review")).scalar_one_or_none()
        if phase is None:
            phase = Phase(exam_id=exam_id, activity="school_review", name="学校审核",
                          start=now_local() - dt.timedelta(days=60), end=end)
            db.session.add(phase)
        phase.end = end
        db.session.commit()


def test_bars_have_the_width_of_the_completion(login, exam_id):
    page = login("zy_admin").get("/").get_data(as_text=True)
    # 五十七中: 2 of 4 records approved by the school or above
    row = _row(page, exam_id, "41010201")
    assert 'class="ks-bar-fill" style="width: 50.0%"' in row
    assert "2 / 4" in row
    # a city sees its counties: approved by the county or above, 1 of 4
    page = login("zz_admin").get("/").get_data(as_text=True)
    assert 'style="width: 25.0%"' in _row(page, exam_id, "410102")
    assert 'style="width: 33.3%"' in _row(page, exam_id, "410103")
    legend = re.search(r'class="help-block ks-progress-legend">([^<]*)<', page).group(1)
    assert "90%" in legend and "%%" not in legend and " 3 " in legend


def test_a_unit_is_behind_when_its_window_ends_soon(app, login, exam_id):
    client = login("zy_admin")
    tomorrow = now_local().replace(microsecond=0) + dt.timedelta(days=1)
    _set_review_window(app, exam_id, tomorrow)
    page = client.get("/").get_data(as_text=True)
    row = _row(page, exam_id, "41010201")
    assert "ks-behind" in row and tomorrow.strftime("%Y-%m-%d %H:%M") in row
    # a school without records has nothing to be behind on
    empty = _row(page, exam_id, "41010202")
    assert "ks-behind" not in empty
    # ended: still behind
    _set_review_window(app, exam_id, tomorrow - dt.timedelta(days=5))
    assert "ks-behind" in _row(client.get("/").get_data(as_text=True), exam_id, "41010201")
    # a month ahead: not behind yet, the end date still shown
    later = tomorrow + dt.timedelta(days=30)
    _set_review_window(app, exam_id, later)
    row = _row(client.get("/").get_data(as_text=True), exam_id, "41010201")
    assert "ks-behind" not in row and later.strftime("%Y-%m-%d %H:%M") in row


def test_each_count_opens_the_list_of_that_subtree_and_state(login, exam_id):
    client = login("zz_admin")
    page = client.get("/").get_data(as_text=True)
    for county, school in (("410102", "41010201"), ("410103", "41010301")):
        row = _row(page, exam_id, county)
        links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', row)]
        assert len(links) == 1 + 7  # the total and each review state
        assert _names(client, links[0]) == _expected([school])
        for link in links[1:]:
            state = re.search(r"_flt_0_state=(\w+)", link).group(1)
            assert _names(client, link) == _expected([school], state), link
    total = re.search(r'<tr class="active" data-unit="total">.*?href="([^"]+)"',
                      page[page.index(f'id="progress-{exam_id}"'):], re.S).group(1)
    assert _names(client, html.unescape(total)) == _expected(RECORDS)
    # a school's link, followed by the county
    client = login("zy_admin")
    row = _row(client.get("/").get_data(as_text=True), exam_id, "41010201")
    confirmed = html.unescape(re.search(r'href="([^"]*_flt_0_state=confirmed[^"]*)"', row).group(1))
    assert _names(client, confirmed) == _expected(["41010201"], "confirmed")


def test_the_home_page_never_reads_the_candidate_table(app, login, exam_id):
    client = login("henan_admin")
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert f'id="progress-{exam_id}"' in page and "ks-bar-fill" in page
    assert statements and not [s for s in statements if "ks_candidate" in s]
