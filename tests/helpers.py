"""Helpers shared by the test modules: reading pages, looking up demo rows, and posting forms
the way the screens do. Fixtures live in conftest.py (and the plugins it lists); rows made
for a test come from factories.py.

pytest puts ``tests/`` on sys.path (there is no tests/__init__.py), so modules import these
as ``from helpers import ...``."""
import datetime as dt
import json
import re

from types import SimpleNamespace

from sqlalchemy import select

from app.adult import rules
from app.candidates.models import Candidate
from app.exams.models import ADULT, ZHONGZHAO, Exam
from app.extensions import db
from app.jurisdiction import Node

#: a password the self-service rules accept.
GOOD = "blue-river-stone-42"
#: a window in March 2026, closed long before any test runs.
PAST = (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 25, 17))
#: a window open for any test date.
OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
#: a complete 成人高考 preference (志愿) as the /me/preferences/<seq> form posts it.
PREFERENCE_FORM = {"level": "01", "track": "1", "major_category": "02", "study_form": "3",
                   "school_code": "10459", "school_name": "郑州大学", "major_code": "120203",
                   "major_name": "会计学", "duration": "5"}

_VERSION_RE = re.compile(r'name="(v_\d+)" value="(\d+)"')


def text(resp):
    return resp.get_data(as_text=True)


def exam_id(app, kind=ZHONGZHAO, year=2026):
    """Id of the demo exam of ``kind`` and ``year``."""
    with app.app_context():
        return db.session.execute(
            select(Exam.id).where(Exam.kind == kind, Exam.year == year)).scalar_one()


def node_id(app, code):
    """Id of the jurisdiction node with ``code``."""
    with app.app_context():
        return db.session.execute(select(Node.id).where(Node.code == code)).scalar_one()


def versions(page):
    """The record versions a confirmation page carries ({"v_<id>": version})."""
    return dict(_VERSION_RE.findall(page))


def act(client, route, name, ids, **form):
    """A list action the way the screen runs it: action → confirmation page → POST; returns
    the page it lands on."""
    client.refresh_token(f"/{route}/list/")
    resp = client.post(f"/{route}/action_post", {"action": name, "rowid": [str(i) for i in ids]})
    assert resp.status_code == 302, resp.status_code
    page = client.get(resp.location)
    assert page.status_code == 200
    resp = client.post(f"/{route}/confirm/{name}",
                       {"ids": ",".join(map(str, ids)), **versions(text(page)), **form},
                       follow_redirects=True)
    return text(resp)


# --- self-service (/me/) ------------------------------------------------------------------------


def issue(staff, cid):
    """Have ``staff`` issue an activation code for candidate ``cid``; returns the code."""
    staff.refresh_token(f"/activation/{cid}")
    resp = staff.post(f"/activation/{cid}")
    assert resp.status_code == 200, resp.status_code
    return re.search(r'data-code="([A-Z0-9]{8})"', text(resp)).group(1)


def activate(client, id_number, code, password=GOOD, password2=None, question="我的小学校名",
             answer="建设路小学"):
    client.refresh_token("/me/activate")
    return client.post("/me/activate", {
        "id_number": id_number, "code": code, "password": password,
        "password2": password if password2 is None else password2,
        "question": question, "answer": answer})


def me_login(client, id_number, password=GOOD):
    client.refresh_token("/me/login")
    resp = client.post("/me/login", {"id_number": id_number, "password": password})
    client.refresh_token("/me/")
    return resp


def adult_exam(app):
    """The 2026 成人高考: its id and the date ages are counted on (``ref``)."""
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)).scalar_one()
        return SimpleNamespace(id=exam.id, ref=rules.age_reference_date(exam))


def candidate_row(app, cid):
    """What the 成人高考 pages change of a candidate: unit code, state, level, preferences."""
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        return SimpleNamespace(node=cand.node.code, state=cand.state, category=cand.category,
                               prefs=[(p.seq, p.level, p.major_category) for p in cand.preferences])


# --- review (审核) and locking ------------------------------------------------------------------


def review_state(app, cid):
    """(state, locked, reject_reason, version) of candidate ``cid``."""
    with app.app_context():
        c = db.session.get(Candidate, cid)
        return c.state, c.locked, c.reject_reason, c.version


def review_action(client, name, ids, **form):
    """A review action on candidate ``ids`` (one id or several) the way the review list runs
    it; returns the page it lands on."""
    return act(client, "review", name, [ids] if isinstance(ids, int) else ids, **form)


def review_api(client, payload, version=True):
    """POST the review JSON API; ``version`` True sends the record's current version."""
    if version is True:
        payload = {**payload, "version": review_state(client.app, payload["id"])[3]}
    client.refresh_token("/review/list/")
    return client.http.post("/review/api/transition", data=json.dumps(payload),
                            content_type="application/json",
                            headers={"X-CSRFToken": client.token})


def edit_form(app, cid, **over):
    """A complete staff edit form for a 2026 中招 candidate made by factories.make_candidate
    (born 2011-06-01, category 01), with ``over`` changed."""
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        node, id_number = cand.node_id, cand.id_number
    data = {"exam": str(exam_id(app)), "node": str(node), "name": "审核考生", "gender": "1",
            "id_number": id_number, "birth_date": "2011-06-01", "category": "01"}
    data.update(over)
    return data


def print_form(client, cid):
    """Print the 报名登记表 the way staff do (the PDF is what gets signed)."""
    resp = client.get(f"/print/registration/{cid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"


def sign(app, login, cid):
    """Print the form, then mark it signed through the review list: the record locks."""
    staff = login("zy_school")
    print_form(staff, cid)
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is True
