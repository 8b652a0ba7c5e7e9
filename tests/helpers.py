"""Helpers shared by the test modules: reading pages, looking up demo rows, and posting forms
the way the screens do. Fixtures live in conftest.py (and the plugins it lists); rows made
for a test come from factories.py.

pytest puts ``tests/`` on sys.path (there is no tests/__init__.py), so modules import these
as ``from helpers import ...``."""
import contextlib
import csv
import datetime as dt
import io
import json
import re

from types import SimpleNamespace

from sqlalchemy import event, select

from app.adult import rules
from app.candidates.models import Candidate, ImportBatch
from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import CandidatePhoto
from app.validators import make_id_number

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


# --- registry import (学籍导入) ------------------------------------------------------------------

#: the columns of a registry file as schools export it.
REGISTRY_HEADER = ["姓名", "身份证号", "性别", "学校代码", "民族", "联系电话", "监护人姓名"]


def idn(day, seq, region="410102"):
    """The ID number of someone born 2011-04-``day`` in ``region``, sequence ``seq``."""
    return make_id_number(region, dt.date(2011, 4, day), seq)


def csv_bytes(rows, encoding="utf-8", header=REGISTRY_HEADER):
    out = io.StringIO()
    csv.writer(out).writerows([header] + rows)
    return out.getvalue().encode(encoding)


def upload_registry(c, app, data, filename="学籍.csv", kind=ZHONGZHAO):
    """Upload a registry file; return the new batch's id."""
    c.refresh_token("/registry-import/")
    resp = c.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": c.token, "exam": str(exam_id(app, kind)),
        "file": (io.BytesIO(data), filename)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    return int(resp.location.rstrip("/").split("/")[-2])


def start_import(c, app, batch_id):
    """Accept the automatic mapping, run the job; return the status JSON."""
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {f"col_{k}": str(v) for k, v in mapping.items()})
    assert resp.status_code == 302 and resp.location.endswith(f"/registry-import/{batch_id}")
    c.run_jobs()
    return c.get(f"/registry-import/{batch_id}/status").get_json()


def run_import(c, app, data, filename="学籍.csv", kind=ZHONGZHAO):
    """Upload, accept the automatic mapping, run the job; return (batch, status JSON)."""
    batch_id = upload_registry(c, app, data, filename, kind)
    return batch_id, start_import(c, app, batch_id)


# --- incidents (playbooks) ----------------------------------------------------------------------

_INCIDENT_RE = re.compile(r"/incidents/show/(\d+)$")


def open_incident(client, ids, anomaly, exam, region="410102", summary="中原区报名点网络中断"):
    """Open an incident through the add form; return its id (None when refused)."""
    client.refresh_token("/incidents/add")
    resp = client.post("/incidents/add", {"anomaly": anomaly, "exam": str(exam),
                                          "node": str(ids.node(region)), "summary": summary})
    if resp.status_code == 200:  # the form again, with the refusal
        return None
    assert resp.status_code == 302
    match = _INCIDENT_RE.search(resp.location)
    return int(match.group(1)) if match else None


def incident_post(client, incident_id, route, **form):
    """POST one of an incident's forms (a step, a note, the status) from its page."""
    client.refresh_token(f"/incidents/show/{incident_id}")
    return client.post(f"/incidents/{incident_id}/{route}", form)


# --- photos --------------------------------------------------------------------------------------


def without_photos(app, n, school_code="41010201"):
    """``n`` unlocked candidates of the school that have no picture of any kind yet."""
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.id_number).join(Node)
            .where(Node.code == school_code, Candidate.locked.is_(False),
                   Candidate.state.in_(("draft", "confirmed", "rejected")),
                   Candidate.id.not_in(select(CandidatePhoto.candidate_id)))
            .order_by(Candidate.id).limit(n)).all()


def upload_photo(client, candidate_id, data, kind="photo", as_json=False, name="p.jpg"):
    """Upload a picture (or ID scan) for a candidate on its capture page."""
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(f"/photos/candidate/{candidate_id}/upload?kind={kind}",
                       {"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers)


@contextlib.contextmanager
def sql_statements(app):
    """``with sql_statements(app) as seen:`` — the SQL statements the block runs, in order
    (for tests of how many statements a page or a job costs)."""
    with app.app_context():
        engine = db.engine
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
