"""Fixtures of the candidate self-service (/me/) shared by several test modules (a pytest plugin
listed in conftest.py's ``pytest_plugins``, so no test module imports another's fixtures).

A module posting many /me/ logins starts each test with an empty per-address bucket:
``pytestmark = pytest.mark.usefixtures("fresh_address_limit")``."""
import pytest
from sqlalchemy import select

from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.phases.models import Phase, PhaseExtension
from app.selfservice.views import _WINDOWS
from conftest import Client
from factories import adult_candidate, self_service_candidate
from helpers import OPEN, activate, issue, text


@pytest.fixture
def fresh_address_limit(app):
    """Empty the per-address login bucket (SELF_SERVICE_RATE_LIMIT, 60/minute by default),
    as the tests of the limit do, for tests that post many logins from one address."""
    app.appbuilder.sm.limiter.reset()


@pytest.fixture
def candidate(app, school_staff):
    """candidate(**self_service_candidate args) → (client, cid, id_number): a fresh candidate
    with an activated account, logged in on /me/."""

    def make(**extra):
        cid, idn = self_service_candidate(app, **extra)
        c = Client(app)
        resp = activate(c, idn, issue(school_staff, cid))
        assert resp.status_code == 302 and resp.location.endswith("/me/"), text(resp)
        c.refresh_token("/me/")
        return c, cid, idn

    return make


@pytest.fixture
def phase(app):
    """phase(activity, start, end, kind=ZHONGZHAO): set the window of an activity of a 2026
    exam (every row of it, or a new row when there is none); restores it afterwards."""
    saved, created = {}, []

    def set_window(activity, start, end, kind=ZHONGZHAO):
        with app.app_context():
            exam = db.session.execute(
                select(Exam).where(Exam.year == 2026, Exam.kind == kind)).scalar_one()
            rows = db.session.execute(select(Phase).where(
                Phase.exam_id == exam.id, Phase.activity == activity)).scalars().all()
            if not rows:
                row = Phase(exam_id=exam.id, activity=activity, name="测试窗口", start=start,
                            end=end)
                db.session.add(row)
                db.session.flush()
                created.append(row.id)
            for row in rows:
                saved.setdefault(row.id, (row.start, row.end))
                row.start, row.end = start, end
            db.session.commit()
        _WINDOWS.clear()  # the status page keeps windows for a few seconds per process

    yield set_window
    with app.app_context():
        for pid, (start, end) in saved.items():
            row = db.session.get(Phase, pid)
            row.start, row.end = start, end
        for pid in created:
            db.session.delete(db.session.get(Phase, pid))
        db.session.execute(PhaseExtension.__table__.delete())
        db.session.commit()
    _WINDOWS.clear()


@pytest.fixture
def adult(app, school_staff, phase):
    """adult(**adult_candidate args) → (logged-in client, candidate id); the 2026 成人高考
    self-registration window is open."""
    phase("self_registration", *OPEN, kind=ADULT)

    def make(**kw):
        cid, idn = adult_candidate(app, **kw)
        c = Client(app)
        assert activate(c, idn, issue(school_staff, cid)).status_code == 302
        c.refresh_token("/me/")
        return c, cid

    return make
