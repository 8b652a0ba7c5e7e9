"""The 高考 志愿 password card (动态口令卡) through HTTP: the province generates a run (a job
writing one PDF page per card, codes stored hashed), a candidate binds a card with the code at
the position the server picks, wrong codes lock the card and the county unlocks it, a lost
card is cancelled and reissued by the county (audited), another county's cards answer 404."""
import re

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.extensions import db
from app.gaokao import preference_rules as rules
from app.gaokao.preference_models import CardRun, PasswordCard, PasswordCardCode
from gkpref_support import (bind, bound_candidate, choices, confirm, english_words, make_card,
                            make_world, me,
                            new_candidate, pdf_text, pending_position, save)
from helpers import node_id, text


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("gkcard", make_world) as app:
        yield app


def card_row(app, card_id):
    with app.app_context():
        card = db.session.get(PasswordCard, card_id)
        db.session.expunge(card)
        return card


def test_province_generates_a_printable_run(app, province_admin, run_jobs):
    province_admin.refresh_token("/gkcards/")
    resp = province_admin.post("/gkcards/generate", {
        "exam": app.gk.exam, "unit": node_id(app, "410102"), "count": "2"})
    assert resp.status_code == 302
    run_id = int(re.search(r"/run/(\d+)", resp.location).group(1))
    run_jobs()
    status = province_admin.get(f"/gkcards/run/{run_id}/status").get_json()
    assert status["status"] == "done" and status["result_url"]
    pdf = province_admin.get(f"/gkcards/run/{run_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = pdf_text(pdf.data)
    with app.app_context():
        cards = db.session.execute(select(PasswordCard).where(
            PasswordCard.run_id == run_id).order_by(PasswordCard.id)).scalars().all()
        assert len(cards) == 2
        for card in cards:
            assert f"序列号：{card.serial}" in words
        assert "动态口令卡" in words and words.count("\f") >= 2 - 1
        # Each page prints the 5 × 8 grid; the stored value is a keyed hash, not the code.
        first_page = words.split("\f")[0]
        grid = [line.split() for line in first_page.splitlines()
                if re.match(r"^\s*[A-E]\s+\d{6}", line)]
        assert [row[0] for row in grid] == list(rules.ROWS) and all(len(r) == 9 for r in grid)
        code_a1 = grid[0][1]
        stored = db.session.execute(select(PasswordCardCode.code_hash).where(
            PasswordCardCode.card_id == cards[0].id,
            PasswordCardCode.position == "A1")).scalar_one()
        assert stored != code_a1 and stored == rules.code_hash(cards[0].serial, "A1", code_a1)
    # After printing the province deletes the file with the codes.
    resp = province_admin.post(f"/gkcards/run/{run_id}/discard")
    assert resp.status_code == 302
    assert province_admin.get(f"/gkcards/run/{run_id}/pdf").status_code == 404


def test_only_the_province_generates(app, county_admin):
    with app.app_context():
        before = db.session.execute(select(func.count(CardRun.id))).scalar()
    county_admin.refresh_token("/gkcards/")
    resp = county_admin.post("/gkcards/generate", {
        "exam": app.gk.exam, "unit": node_id(app, "410102"), "count": "2"})
    assert resp.status_code in (302, 403)
    assert 'id="generate-form"' not in text(county_admin.get("/gkcards/"))
    with app.app_context():
        assert db.session.execute(select(func.count(CardRun.id))).scalar() == before


def test_bad_count_keeps_the_form(app, province_admin):
    province_admin.refresh_token("/gkcards/")
    resp = province_admin.post("/gkcards/generate", {
        "exam": app.gk.exam, "unit": node_id(app, "410102"), "count": "abc"})
    assert resp.status_code == 400
    assert 'id="count-error"' in text(resp)


def test_card_bound(app, school_staff, county_admin):
    cid, idn = new_candidate(app, name="绑定考生")
    client = me(app, school_staff, cid, idn)
    page = text(client.get("/me/gaokao/preferences"))
    assert 'id="bind-form"' in page
    # The position stays the same across reloads until the card is bound.
    pos = re.search(r'data-position="(\w+)"', page).group(1)
    assert re.search(r'data-position="(\w+)"', text(client.get("/me/gaokao/preferences"))
                     ).group(1) == pos
    card_id, serial, codes = make_card(app)
    resp = bind(client, serial, codes)
    assert resp.status_code == 302
    card = card_row(app, card_id)
    assert card.status == "bound" and card.candidate_id == cid
    assert 'id="card-bound"' in text(client.get("/me/gaokao/preferences"))
    with app.app_context():
        assert db.session.execute(select(PasswordCardCode.used_at).where(
            PasswordCardCode.card_id == card_id,
            PasswordCardCode.position == pos)).scalar() is not None
    # The card cannot be bound by a second candidate.
    other, other_idn = new_candidate(app, name="另一考生")
    second = me(app, school_staff, other, other_idn)
    resp = bind(second, serial, codes)
    assert resp.status_code == 400 and 'id="bind-error"' in text(resp)
    assert card_row(app, card_id).candidate_id == cid
    # The county finds the card by the candidate number.
    with app.app_context():
        from app.candidates.models import Candidate
        number = db.session.get(Candidate, cid).candidate_number
    found = text(county_admin.get(f"/gkcards/find?q={number}"))
    assert serial in found


def test_wrong_codes_lock_the_card_and_the_county_unlocks_it(app, school_staff, county_admin):
    cid, idn = new_candidate(app, name="锁卡考生")
    client = me(app, school_staff, cid, idn)
    card_id, serial, codes = make_card(app)
    for _ in range(rules.MAX_FAILURES):
        resp = bind(client, serial, codes, wrong=True)
        assert resp.status_code in (400, 403)
    card = card_row(app, card_id)
    assert card.locked and card.status == "issued"
    resp = bind(client, serial, codes)  # even the right code: locked
    assert resp.status_code == 403
    assert card_row(app, card_id).status == "issued"
    county_admin.refresh_token(f"/gkcards/card/{card_id}")
    resp = county_admin.post(f"/gkcards/card/{card_id}/unlock", {"reason": ""})
    assert resp.status_code == 400 and card_row(app, card_id).locked
    resp = county_admin.post(f"/gkcards/card/{card_id}/unlock", {"reason": "考生本人到场核实"})
    assert resp.status_code == 302 and not card_row(app, card_id).locked
    with app.app_context():
        assert db.session.execute(select(func.count(AuditLog.id)).where(
            AuditLog.table_name == "ks_gk_card", AuditLog.row_id == card_id,
            AuditLog.reason == "考生本人到场核实")).scalar() == 1
    assert bind(client, serial, codes).status_code == 302


def test_lost_card_reissued_by_the_county(app, school_staff, county_admin):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="补卡考生")
    first = app.gk.first
    assert save(client, first, choices(("10001", "北京大学", [("01", "数学类")], True))
                ).status_code == 302
    assert confirm(client, first, codes[pending_position(client, first)]).status_code == 302
    county_admin.refresh_token(f"/gkcards/card/{card_id}")
    resp = county_admin.post(f"/gkcards/card/{card_id}/reissue", {"reason": ""})
    assert resp.status_code == 400 and card_row(app, card_id).status == "bound"
    resp = county_admin.post(f"/gkcards/card/{card_id}/reissue", {"reason": "考生遗失口令卡"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    old = card_row(app, card_id)
    assert old.status == "cancelled" and old.cancel_reason == "考生遗失口令卡"
    with app.app_context():
        new = db.session.execute(select(PasswordCard).where(
            PasswordCard.replaces_id == card_id)).scalar_one()
        new_id, new_serial = new.id, new.serial
        assert new.status == "issued" and new.candidate_id == cid
        assert db.session.execute(select(func.count(AuditLog.id)).where(
            AuditLog.action == "insert", AuditLog.table_name == "ks_gk_card",
            AuditLog.row_id == new_id)).scalar() == 1
    words = pdf_text(resp.data)
    assert f"序列号：{new_serial}" in words
    # The old card no longer confirms anything; the new one must be bound first.
    page = text(client.get("/me/gaokao/preferences"))
    assert new_serial in page and 'id="card-reserved"' in page
    resp = save(client, first, choices(("10002", "清华大学", [], False)))
    assert resp.status_code == 409
    # The effective preferences stay.
    assert "北京大学" in text(client.get(f"/me/gaokao/preferences/{first}"))
    # The new card's codes come from its PDF (the grid of the first page).
    grid = {}
    for line in words.splitlines():
        m = re.match(r"^\s*([A-E])\s+((?:\d{6}\s+){7}\d{6})", line)
        if m:
            for col, code in enumerate(m.group(2).split(), 1):
                grid[f"{m.group(1)}{col}"] = code
    assert len(grid) == 40
    assert bind(client, new_serial, grid).status_code == 302
    assert save(client, first, choices(("10002", "清华大学", [], False))).status_code == 302


def test_reissue_is_the_county_s_and_sibling_cards_answer_404(app, school_staff, login,
                                                             city_admin):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="邻县考生")
    eq = login("eq_admin")
    assert eq.get(f"/gkcards/card/{card_id}").status_code == 404
    eq.refresh_token("/gkcards/")
    assert eq.post(f"/gkcards/card/{card_id}/reissue", {"reason": "x"}).status_code == 404
    assert eq.post(f"/gkcards/card/{card_id}/unlock", {"reason": "x"}).status_code == 404
    found = text(eq.get(f"/gkcards/find?q={serial}"))
    assert 'id="no-cards"' in found and 'id="found-cards"' not in found
    # The city sees the card but reissuing is the county's.
    assert city_admin.get(f"/gkcards/card/{card_id}").status_code == 200
    city_admin.refresh_token("/gkcards/")
    # Refused (a form post is answered with the message and a redirect back).
    assert city_admin.post(f"/gkcards/card/{card_id}/reissue",
                           {"reason": "x"}).status_code in (302, 403)
    assert card_row(app, card_id).status == "bound"


def test_pages_read_in_chinese(app, school_staff, county_admin, province_admin):
    client, cid, card_id, serial, codes = bound_candidate(app, school_staff, name="中文考生")
    first = app.gk.first
    save(client, first, choices(("10001", "北京大学", [("01", "数学类")], True)))
    pages = {url: text(county_admin.get(url)) for url in (
        f"/gkcards/card/{card_id}", f"/gkcards/find?q={serial}", "/gkcards/",
        f"/gkprefs/candidate/{cid}", f"/gkprefs/missing?exam={app.gk.exam}&batch={first}")}
    pages.update({url: text(client.get(url)) for url in (
        "/me/", "/me/gaokao/preferences", f"/me/gaokao/preferences/{first}",
        f"/me/gaokao/preferences/{app.gk.early}")})
    pages["/preferencebatchview/add"] = text(province_admin.get("/preferencebatchview/add"))
    assert 'id="gaokao-preferences-link"' in pages["/me/"]
    found = {url: sorted(english_words(page)) for url, page in pages.items()
             if english_words(page)}
    assert found == {}
