"""Rows and steps shared by the 高考 志愿 / password card tests (test_gaokao_preferences.py,
test_password_card.py): a 高考 exam of its own with three batches, candidates logged in on
/me/, cards made with known codes, and the bind / save / confirm steps through HTTP."""
import datetime as dt
import re
import shutil
import subprocess
from types import SimpleNamespace

from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import preference_rules as rules
from app.gaokao.preference_models import CardRun, PasswordCard, PreferenceBatch
from app.jurisdiction import Node
from app.phases.models import Phase
from app.security import KsUser
from conftest import Client
from factories import unused_id_number
from helpers import activate, issue, text

NOW = dt.datetime.now()
OPEN = (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30))
CLOSED = (NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=2))


def make_world(app):
    """The exam and its batches (prepare step of the module's app): 本科一批 (B, open,
    required), 提前批 (A, closed, not required) and 本科一批征集 (BZ, open, a collection
    round of B); ids on ``app.gk``."""
    exam = Exam(kind=GAOKAO, year=2131, name="2131年普通高考", active=True)
    db.session.add(exam)
    db.session.flush()

    def batch(code, name, seq, window, required=True, of=None):
        phase = Phase(exam_id=exam.id, activity=rules.ACTIVITY, category=code,
                      name=f"{name}志愿填报", start=window[0], end=window[1])
        row = PreferenceBatch(exam_id=exam.id, code=code, name=name, seq=seq, schools=3,
                              majors=2, required=required, phase=phase, collection_of=of)
        db.session.add(row)
        db.session.flush()
        return row

    early = batch("A", "提前批", 1, CLOSED, required=False)
    first = batch("B", "本科一批", 2, OPEN)
    collect = batch("BZ", "本科一批征集", 3, OPEN, required=False, of=first)
    app.gk = SimpleNamespace(exam=exam.id, early=early.id, first=first.id,
                             collect=collect.id, first_phase=first.phase_id,
                             early_phase=early.phase_id)


def new_candidate(app, school="41010201", name="志愿考生"):
    """A 高考 candidate of the module's exam: (id, id_number)."""
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        birth = dt.date(2008, 5, 4)
        cand = Candidate(exam_id=app.gk.exam, node=node, name=name, gender="1",
                         birth_date=birth, id_number=unused_id_number(school[:6], birth),
                         candidate_number=None, phone="13700001111", state="county_approved",
                         locked=True)
        db.session.add(cand)
        db.session.commit()
        cand.candidate_number = f"31{cand.id:012d}"
        db.session.commit()
        return cand.id, cand.id_number


def make_card(app, unit="410102", candidate_id=None):
    """A card issued to ``unit`` with known codes: (card id, serial, {position: code})."""
    with app.app_context():
        node = db.session.execute(select(Node).where(Node.code == unit)).scalar_one()
        user = db.session.execute(select(KsUser).where(
            KsUser.username == "henan_admin")).scalar_one()
        run = CardRun(exam_id=app.gk.exam, count=1, user_id=user.id, node_path=node.path,
                      status="done")
        db.session.add(run)
        db.session.flush()
        [(serial, codes)] = rules.make_cards(run, 1, 1, node.path, candidate_id)
        card_id = db.session.execute(select(PasswordCard.id).where(
            PasswordCard.serial == serial)).scalar_one()
        db.session.commit()
        return card_id, serial, codes


def me(app, school_staff, cid, idn):
    """A client of candidate ``cid`` logged in on /me/."""
    c = Client(app)
    resp = activate(c, idn, issue(school_staff, cid))
    assert resp.status_code == 302, text(resp)
    c.refresh_token("/me/")
    return c


def position_on(page):
    """The position a page asks the code of."""
    return re.search(r'data-position="([A-E][1-8])"', page).group(1)


def bind(client, serial, codes, wrong=False):
    page = text(client.get("/me/gaokao/preferences"))
    pos = position_on(page)
    code = codes[pos] if not wrong else f"{(int(codes[pos]) + 1) % 10 ** 6:06d}"
    return client.post("/me/gaokao/card", {"serial": serial, "code": code})


def bound_candidate(app, school_staff, school="41010201", name="志愿考生"):
    """A logged-in candidate with a bound card: (client, cid, card id, serial, codes)."""
    cid, idn = new_candidate(app, school, name)
    client = me(app, school_staff, cid, idn)
    card_id, serial, codes = make_card(app, "410102" if school.startswith("410102")
                                       else school[:6])
    resp = bind(client, serial, codes)
    assert resp.status_code == 302, text(resp)
    return client, cid, card_id, serial, codes


def choices(*schools):
    """Form data of a batch: ``schools`` as (code, name, [(major code, name)], adjust)."""
    data = {}
    for seq, (code, name, majors, adjust) in enumerate(schools, 1):
        data[f"school_code_{seq}"], data[f"school_name_{seq}"] = code, name
        if adjust:
            data[f"adjust_{seq}"] = "1"
        for m, (mcode, mname) in enumerate(majors, 1):
            data[f"major_code_{seq}_{m}"], data[f"major_name_{seq}_{m}"] = mcode, mname
    return data


def save(client, batch_id, data):
    return client.post(f"/me/gaokao/preferences/{batch_id}", data)


def pending_position(client, batch_id):
    return position_on(text(client.get(f"/me/gaokao/preferences/{batch_id}")))


def confirm(client, batch_id, code):
    return client.post(f"/me/gaokao/preferences/{batch_id}/confirm", {"code": code})


def pdf_text(pdf):
    """pdftotext of PDF bytes (the test is skipped without poppler-utils)."""
    import pytest

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.@/-]*")


def english_words(html):
    """English words of a page's visible text (as tests/test_zh_menu_pages.py reads them)."""
    from html.parser import HTMLParser

    class Visible(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style", "code")
            self.parts += [v for k, v in attrs if k in ("title", "placeholder") and v]

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style", "code")

        def handle_data(self, data):
            if not self.hidden and data.strip():
                self.parts.append(data.strip())

    parser = Visible()
    parser.feed(html)
    return {t for part in parser.parts for t in _TOKEN.findall(part)
            if not (t.isupper() or re.search(r"[\d_.@/-]", t) or t in ("English", "csv", "pdf"))}
