"""高考 志愿 through HTTP: a save takes effect only after the password card's code at the
position the server chose (kept across reloads), each code works once, a batch freezes at its
deadline (and an extension reopens it for the region), the province's batch screen keeps the
window as a phase, 谨防漏报 lists and CSV per batch inside the user's units, the 考生志愿表
(all batches, 征集志愿) and the archive part."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.gaokao import archive
from app.gaokao import preference_rules as rules
from app.gaokao.preference_models import (GaokaoPreference, PasswordCard, PasswordCardCode,
                                          PendingPreferenceChange, PreferenceBatch)
from app.phases.models import Phase, PhaseExtension
from gkpref_support import (CLOSED, OPEN, bound_candidate, choices, confirm, make_world, me,
                            new_candidate, pdf_text, pending_position, save)
from helpers import node_id, text

PKU = ("10001", "北京大学", [("01", "数学类"), ("02", "物理学类")], True)
THU = ("10003", "清华大学", [("05", "计算机类")], False)


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("gkpref", make_world) as app:
        yield app


def effective(app, cid, batch_id):
    with app.app_context():
        return [(p.school_code, p.majors, p.adjust) for p in db.session.execute(
            select(GaokaoPreference).where(GaokaoPreference.candidate_id == cid,
                                           GaokaoPreference.batch_id == batch_id)
            .order_by(GaokaoPreference.seq)).scalars()]


def pending_count(app, cid):
    with app.app_context():
        return db.session.execute(select(func.count(PendingPreferenceChange.id)).where(
            PendingPreferenceChange.candidate_id == cid)).scalar()


@pytest.fixture
def window(app):
    """window(phase id, (start, end)): move a batch's window; restored afterwards."""
    saved = {}

    def move(phase_id, span):
        with app.app_context():
            phase = db.session.get(Phase, phase_id)
            saved.setdefault(phase_id, (phase.start, phase.end))
            phase.start, phase.end = span
            db.session.commit()

    yield move
    with app.app_context():
        for pid, span in saved.items():
            phase = db.session.get(Phase, pid)
            phase.start, phase.end = span
        db.session.execute(PhaseExtension.__table__.delete())
        db.session.commit()


def test_a_save_without_the_code_does_not_take_effect(app, school_staff, county_admin):
    client, cid, *_card = bound_candidate(app, school_staff, name="未确认考生")
    first = app.gk.first
    resp = save(client, first, choices(PKU, THU))
    assert resp.status_code == 302
    assert effective(app, cid, first) == [] and pending_count(app, cid) == 1
    page = text(client.get(f"/me/gaokao/preferences/{first}"))
    assert 'id="confirm"' in page and 'id="none-effective"' in page
    # Staff see nothing in effect, and the candidate is still on the 漏报 list.
    staff = text(county_admin.get(f"/gkprefs/candidate/{cid}"))
    assert "北京大学" not in staff
    missing = text(school_staff.get(f"/gkprefs/missing?exam={app.gk.exam}&batch={first}"))
    assert "未确认考生" in missing
    with app.app_context():
        assert archive.states_of([cid])[cid]["preferences"] == archive.MISSING


def test_the_code_at_the_chosen_position_makes_it_effective(app, school_staff, county_admin):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="确认考生")
    first = app.gk.first
    assert save(client, first, choices(PKU, THU)).status_code == 302
    pos = pending_position(client, first)
    # A reload asks the same position; so does saving again before confirming.
    assert pending_position(client, first) == pos
    assert save(client, first, choices(PKU, THU)).status_code == 302
    assert pending_position(client, first) == pos
    resp = confirm(client, first, codes[pos])
    assert resp.status_code == 302
    assert effective(app, cid, first) == [
        ("10001", [["01", "数学类"], ["02", "物理学类"]], True),
        ("10003", [["05", "计算机类"]], False)]
    assert pending_count(app, cid) == 0
    with app.app_context():
        assert db.session.execute(select(PasswordCardCode.used_at).where(
            PasswordCardCode.card_id == card_id, PasswordCardCode.position == pos)
        ).scalar() is not None
        # Every required batch (本科一批 only) is filled: the archive part is confirmed.
        assert archive.states_of([cid])[cid]["preferences"] == archive.CONFIRMED
    assert "北京大学" in text(county_admin.get(f"/gkprefs/candidate/{cid}"))


def test_a_used_code_is_refused(app, school_staff):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="重用考生")
    first = app.gk.first
    save(client, first, choices(PKU))
    used = pending_position(client, first)
    assert confirm(client, first, codes[used]).status_code == 302
    # The next change asks another position; the code already used is refused.
    assert save(client, first, choices(THU)).status_code == 302
    pos = pending_position(client, first)
    assert pos != used
    resp = confirm(client, first, codes[used])
    assert resp.status_code == 400 and 'id="code-error"' in text(resp)
    assert effective(app, cid, first) == [("10001", [["01", "数学类"], ["02", "物理学类"]], True)]
    with app.app_context():
        assert db.session.get(PasswordCard, card_id).failures == 1
    # Sending the confirmation twice (a reload of the POST) cannot use a code twice.
    assert confirm(client, first, codes[pos]).status_code == 302
    assert confirm(client, first, codes[pos]).status_code == 404
    assert effective(app, cid, first) == [("10003", [["05", "计算机类"]], False)]


def test_wrong_input_is_refused_and_kept(app, school_staff):
    client, cid, *_card = bound_candidate(app, school_staff, name="输错考生")
    first = app.gk.first
    data = choices(PKU, ("10001", "北京大学", [], False))
    resp = save(client, first, data)
    assert resp.status_code == 400
    page = text(resp)
    assert "10001" in page and "物理学类" in page and 'class="err"' in page
    gap = choices(PKU)
    gap.update({"school_code_3": "10003", "school_name_3": "清华大学"})
    assert save(client, first, gap).status_code == 400
    assert pending_count(app, cid) == 0


def test_a_batch_freezes_at_its_deadline(app, school_staff, city_admin, window):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="截止考生")
    early, first = app.gk.early, app.gk.first
    # 提前批 closed: nothing is kept.
    resp = save(client, early, choices(PKU))
    assert resp.status_code == 403 and pending_count(app, cid) == 0
    assert 'id="refusal"' in text(client.get(f"/me/gaokao/preferences/{early}"))
    # A change saved while 本科一批 is open never takes effect once it closes.
    assert save(client, first, choices(PKU)).status_code == 302
    pos = pending_position(client, first)
    window(app.gk.first_phase, CLOSED)
    resp = confirm(client, first, codes[pos])
    assert resp.status_code == 403
    assert effective(app, cid, first) == []
    assert save(client, first, choices(THU)).status_code == 403
    # An extension (延时) for the county reopens the batch there.
    city_admin.refresh_token("/phaseextensionview/add")
    resp = city_admin.post("/phaseextensionview/add", {
        "phase": app.gk.first_phase, "node": node_id(app, "410102"),
        "new_end": (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "reason": "网络故障延时"})
    assert resp.status_code == 302
    assert confirm(client, first, codes[pos]).status_code == 302
    assert effective(app, cid, first)[0][0] == "10001"


def test_province_sets_up_a_batch_with_its_window(app, province_admin, county_admin):
    from app.codes import GAOKAO
    from factories import make_exam

    # An exam of its own: a new required batch would change the other tests' archive state.
    exam = make_exam(app, kind=GAOKAO)
    province_admin.refresh_token("/preferencebatchview/add")
    form = {"exam": exam, "seq": "4", "code": "c", "name": "本科二批", "schools": "6",
            "majors": "6", "required": "y", "start": "2131-07-01 08:00",
            "end": "2131-07-05 18:00"}
    resp = province_admin.post("/preferencebatchview/add", {**form, "code": "1"})
    with app.app_context():
        assert db.session.execute(select(PreferenceBatch).where(
            PreferenceBatch.name == "本科二批")).first() is None
    resp = province_admin.post("/preferencebatchview/add", form)
    assert resp.status_code == 302
    with app.app_context():
        batch = db.session.execute(select(PreferenceBatch).where(
            PreferenceBatch.name == "本科二批")).scalar_one()
        assert batch.code == "C" and batch.phase.activity == rules.ACTIVITY
        assert batch.phase.category == "C"
        assert batch.phase.start == dt.datetime(2131, 7, 1, 8)
    # Counties read the batches, they do not write them.
    assert county_admin.get("/preferencebatchview/list/").status_code == 200
    assert county_admin.get("/preferencebatchview/add").status_code in (302, 403)


def test_missing_list_export_and_scope(app, school_staff, login):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="已报考生")
    first = app.gk.first
    save(client, first, choices(PKU))
    confirm(client, first, codes[pending_position(client, first)])
    lazy, _idn = new_candidate(app, name="漏报考生")
    other, _idn = new_candidate(app, school="41010301", name="邻县漏报")
    url = f"/gkprefs/missing?exam={app.gk.exam}&batch={first}"
    page = text(school_staff.get(url))
    assert "漏报考生" in page and "已报考生" not in page and "邻县漏报" not in page
    csv = school_staff.get(f"/gkprefs/missing/{first}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert "漏报考生" in body and "已报考生" not in body and "邻县漏报" not in body
    eq = login("eq_admin")
    assert "邻县漏报" in text(eq.get(url)) and "漏报考生" not in text(eq.get(url))
    assert eq.get(f"/gkprefs/candidate/{lazy}").status_code == 404
    assert eq.get(f"/gkprefs/candidate/{other}").status_code == 200


def test_preference_form_prints_every_batch(app, school_staff, county_admin):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="打印考生")
    for batch in (app.gk.first, app.gk.collect):
        save(client, batch, choices(PKU if batch == app.gk.first else THU))
        assert confirm(client, batch, codes[pending_position(client, batch)]).status_code == 302
    resp = county_admin.get(f"/print/gaokao_preferences/{cid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    words = pdf_text(resp.data)
    for expected in ("考生志愿表", "提前批", "本科一批", "征集志愿", "北京大学", "清华大学",
                     "校验码", "打印考生"):
        assert expected in words, expected
    own = client.get("/me/gaokao/preferences.pdf")
    assert own.status_code == 200 and "北京大学" in pdf_text(own.data)


def test_only_gaokao_candidates(app, school_staff):
    from factories import self_service_candidate

    cid, idn = self_service_candidate(app, name="中招考生")
    client = me(app, school_staff, cid, idn)
    assert client.get("/me/gaokao/preferences").status_code == 404
    assert client.post(f"/me/gaokao/preferences/{app.gk.first}",
                       choices(PKU)).status_code == 404
    assert "gaokao-preferences-link" not in text(client.get("/me/"))
