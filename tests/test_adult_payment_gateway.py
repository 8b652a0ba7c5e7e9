"""成人高考 online payment (issue 18.5): the gateway behind one interface, the simulated provider
paid end to end through /me/, forged and replayed notifies refused, no double payment, and
after the payment window unpaid confirmed records void (shown, and not seated)."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.adult import gateway
from app.adult.models import AdultPayment
from app.adult.numbering import _eligible, area_paths
from app.adult.payment_state import PAID, UNPAID, VOID, payment_state
from app.candidates.models import Candidate
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.refusals import Refused
from conftest import Client
from factories import adult_candidate
from helpers import activate, exam_id, issue, text

OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
ENDED = (dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))


@pytest.fixture
def payment_window(app):
    """payment_window(span): the 2026 成人高考's payment window; restored afterwards."""
    saved = {}

    def set_window(span):
        with app.app_context():
            eid = exam_id(app, ADULT)
            rows = db.session.execute(select(Phase).where(
                Phase.exam_id == eid, Phase.activity == "payment")).scalars().all()
            assert rows
            for row in rows:
                saved.setdefault(row.id, (row.start, row.end, row.hours))
                row.start, row.end, row.hours = *span, None
            db.session.commit()

    yield set_window
    with app.app_context():
        for pid, (start, end, hours) in saved.items():
            row = db.session.get(Phase, pid)
            row.start, row.end, row.hours = start, end, hours
        db.session.commit()


@pytest.fixture
def zy_admin_staff(login):
    return login("zy_admin")


@pytest.fixture
def simulated(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "simulated")
    monkeypatch.setitem(app.config, "ADULT_EXAM_FEE", "160")


def confirmed(app, school_staff, state="school_approved", unit="BM410102"):
    """A 成人高考 candidate confirmed on site at ``unit``, logged in on /me/."""
    cid, number = adult_candidate(app, unit=unit, category="02")
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.state = state
        db.session.commit()
    client = Client(app)
    assert activate(client, number, issue(school_staff, cid)).status_code == 302
    client.refresh_token("/me/")
    return client, cid


def payments(app, cid):
    with app.app_context():
        return db.session.execute(select(func.count(AdultPayment.id)).where(
            AdultPayment.candidate_id == cid)).scalar()


def start(client):
    client.refresh_token("/me/adult/pay")
    return client.post("/me/adult/pay")


def test_simulated_payment_end_to_end(app, zy_admin_staff, simulated, payment_window):
    payment_window(OPEN)
    client, cid = confirmed(app, zy_admin_staff)
    status = text(client.get("/me/"))
    assert "未缴费" in status and 'id="pay"' in status
    resp = start(client)
    assert resp.status_code == 302 and "/me/adult/pay/sim?order=" in resp.location
    sim_page = text(client.get(resp.location))
    assert "160.00" in sim_page and "模拟" in sim_page
    order = resp.location.split("order=", 1)[1]
    client.refresh_token(resp.location)
    done = client.post("/me/adult/pay/sim", {"order": order})
    assert done.status_code == 302
    status = text(client.get("/me/"))
    assert "已缴费" in status and "160.00" in status and 'id="pay"' not in status
    with app.app_context():
        payment = db.session.execute(select(AdultPayment).where(
            AdultPayment.candidate_id == cid)).scalar_one()
        assert payment.transaction_id.startswith("SIM") and payment.amount == 160
    assert payment.transaction_id in status
    # Replaying the same order (the provider's notify sent again) records nothing twice.
    client.refresh_token("/me/adult/pay")
    again = client.post("/me/adult/pay/sim", {"order": order})
    assert again.status_code == 409 and "已缴费" in text(again)
    assert payments(app, cid) == 1
    # A paid candidate cannot start a second payment.
    assert start(client).status_code == 409 and payments(app, cid) == 1


def test_forged_or_foreign_orders_and_notifies_are_refused(app, zy_admin_staff, simulated,
                                                           payment_window):
    payment_window(OPEN)
    client, cid = confirmed(app, zy_admin_staff)
    other, other_id = confirmed(app, zy_admin_staff)
    order = start(client).location.split("order=", 1)[1]
    other.refresh_token("/me/adult/pay")
    # Another candidate's order, a tampered order, and no order.
    for forged in (order, order[:-3] + "abc", ""):
        resp = other.post("/me/adult/pay/sim", {"order": forged})
        assert resp.status_code == 400, forged
    assert payments(app, other_id) == 0 and payments(app, cid) == 0
    with app.test_request_context():
        sim = gateway.SimulatedProvider()
        with pytest.raises(Refused):
            sim.handle_notify("eyJjIjoxfQ.forged.signature")
        # A signed order is not a notify (salts differ).
        with pytest.raises(Refused):
            sim.handle_notify(order)
    assert payments(app, cid) == 0


def test_two_orders_pay_once(app, zy_admin_staff, simulated, payment_window):
    payment_window(OPEN)
    client, cid = confirmed(app, zy_admin_staff)
    first = start(client).location.split("order=", 1)[1]
    second = start(client).location.split("order=", 1)[1]
    client.refresh_token("/me/adult/pay")
    assert client.post("/me/adult/pay/sim", {"order": first}).status_code == 302
    with app.test_request_context():
        sim = gateway.SimulatedProvider()
        cand = db.session.get(Candidate, cid)
        report = sim.handle_notify(sim.pay(second, cand))
        assert report.recorded == 0 and "已" in str(report.rejected[0][2])
        # The first order's notify sent again: already recorded, nothing new.
        again = sim.handle_notify(sim.pay(first, cand))
        assert (again.recorded, again.unchanged, again.rejected) == (0, 1, [])
    assert payments(app, cid) == 1


def test_not_confirmed_closed_window_and_file_provider(app, zy_admin_staff, simulated,
                                                       payment_window, monkeypatch):
    payment_window(OPEN)
    client, cid = confirmed(app, zy_admin_staff, state="confirmed")  # not yet on site
    page = text(client.get("/me/adult/pay"))
    assert "现场确认" in page and 'id="pay"' not in page
    assert start(client).status_code == 409 and payments(app, cid) == 0
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "file")
    client2, cid2 = confirmed(app, zy_admin_staff)
    page = text(client2.get("/me/adult/pay"))
    assert "缴费结果文件" in page and 'id="pay"' not in page
    assert start(client2).status_code == 404
    assert client2.get("/me/adult/pay/sim?order=x").status_code == 404


def test_unpaid_after_the_deadline_is_void_and_not_seated(app, zy_admin_staff, simulated,
                                                          payment_window):
    payment_window(OPEN)
    client, cid = confirmed(app, zy_admin_staff)
    paid_client, paid_id = confirmed(app, zy_admin_staff)
    order = start(paid_client).location.split("order=", 1)[1]
    paid_client.refresh_token("/me/adult/pay")
    assert paid_client.post("/me/adult/pay/sim", {"order": order}).status_code == 302
    payment_window(ENDED)
    status = text(client.get("/me/"))
    assert "已作废（未在规定时间内缴费）" in status and 'id="pay"' not in status
    assert start(client).status_code == 409
    assert "已缴费" in text(paid_client.get("/me/"))
    with app.app_context():
        assert payment_state(db.session.get(Candidate, cid))[0] == VOID
        assert payment_state(db.session.get(Candidate, paid_id))[0] == PAID
        exam = db.session.get(Exam, exam_id(app, ADULT))
        province = db.session.execute(select(Node).where(Node.code == "410000")).scalar_one()
        seated = _eligible(exam, province, area_paths(province))
        assert paid_id in seated and cid not in seated
    payment_window(OPEN)
    with app.app_context():
        assert payment_state(db.session.get(Candidate, cid))[0] == UNPAID
