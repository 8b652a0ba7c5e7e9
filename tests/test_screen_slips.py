"""The smaller slips of the staff and candidate screens (issue 15, item 10), through HTTP: the
公示 menu entry and its picker page, the unlock reason shown to the candidate, 姓名 on /me/, and
the admission ticket offered only when there is one."""
import re

import pytest
from sqlalchemy import select

from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.exams.picker import active_exams
from app.extensions import db
from app.printing.models import AdmissionTicket
from helpers import node_id, print_form, review_action, review_state, text

pytestmark = pytest.mark.usefixtures("fresh_address_limit")

PUBLICITY_LINK = 'href="/print/publicity"'


# --- 公示 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["zy_admin", "zy_school", "zz_admin"])
def test_publicity_has_a_menu_entry_for_those_who_print(login, user):
    assert PUBLICITY_LINK in text(login(user).get("/print/batch"))


def test_publicity_is_not_offered_to_those_who_do_not_print(login):
    reviewer = login("zy_reviewer")
    assert PUBLICITY_LINK not in text(reviewer.get("/review/list/"))
    assert reviewer.get("/print/publicity").status_code in (302, 403)


def test_publicity_without_parameters_shows_the_picker(app, login):
    resp = login("zy_admin").get("/print/publicity")
    page = text(resp)
    assert resp.status_code == 200 and "Not Found" not in page
    assert "公示名单" in page and 'id="publicity-form"' in page
    with app.app_context():
        newest = active_exams()[0].id
    assert re.search(rf'<option value="{newest}" selected>', page)
    # the county's units are offered, not another county's
    assert f'<option value="{node_id(app, "41010201")}">' in page
    assert f'<option value="{node_id(app, "41010301")}">' not in page


def test_publicity_picker_sends_to_the_list_of_a_unit_in_scope(app, login):
    admin = login("zy_admin")
    with app.app_context():
        exam = active_exams()[0].id
    mine, other = node_id(app, "41010201"), node_id(app, "41010301")
    resp = admin.get(f"/print/publicity?node={mine}&exam={exam}&state=")
    assert resp.status_code == 302 and f"/print/publicity/{mine}.pdf" in resp.location
    assert admin.get(f"/print/publicity?node={other}&exam={exam}").status_code == 404


# --- /me/ -------------------------------------------------------------------------------------


def _me(client):
    return text(client.get("/me/"))


def test_the_unlock_reason_is_shown_to_the_candidate_while_unlocked(app, candidate, login):
    me, cid, _idn = candidate()
    me.post("/me/confirm", {"version": review_state(app, cid)[3]})
    staff = login("zy_school")
    print_form(staff, cid)
    review_action(staff, "mark_signed", [cid])
    assert review_state(app, cid)[1] is True
    assert 'id="unlock-reason"' not in _me(me)
    admin = login("zy_admin")
    review_action(admin, "unlock", [cid], reason="照片不清晰，请到学校重新采集")
    assert review_state(app, cid)[1] is False
    page = _me(me)
    assert re.search(r'id="unlock-reason">照片不清晰，请到学校重新采集<', page)
    assert "解锁原因" in page and "已于" in page
    review_action(admin, "relock", [cid])
    assert review_state(app, cid)[1] is True
    assert "照片不清晰" not in _me(me)


def test_me_pages_label_a_person_by_full_name(candidate):
    me, _cid, _idn = candidate()
    page = text(me.get("/me/info"))
    assert "名称" not in page
    assert "<dt>姓名</dt>" in page


def test_the_ticket_is_offered_only_when_there_is_one(app, candidate):
    me, cid, _idn = candidate()
    page = _me(me)
    assert 'id="ticket"' not in page and "准考证" not in page
    with app.app_context():
        db.session.add(AdmissionTicket(candidate_id=cid, ticket_number=f"2641010201{cid:05d}",
                                       site="郑州市第五十七中学考点"))
        db.session.commit()
    assert 'id="ticket"' in _me(me)
    with app.app_context():
        db.session.delete(db.session.execute(select(AdmissionTicket).where(
            AdmissionTicket.candidate_id == cid)).scalar_one())
        db.session.commit()


def test_exam_pickers_open_on_the_years_zhongzhao_not_the_alphabetically_first_kind(app, login):
    # Kinds order as app/codes.py names them (中招, 高考, 成人高考): "adult" sorted first before.
    page = text(login("zy_admin").get("/print/publicity"))
    with app.app_context():
        zhongzhao = db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
    assert re.search(rf'<option value="{zhongzhao}" selected>', page)
