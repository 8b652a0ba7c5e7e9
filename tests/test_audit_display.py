"""The audit trail as an auditor reads it: Chinese actions, records and field labels, codes as
labels, the candidate and unit named, filters by candidate / unit / action, and the record's
history reachable from the candidate's page."""
import datetime as dt
import re
import uuid

from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate, Guardian
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node


def text(resp):
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _visible(page):
    """The page's table text without tags (what a clerk reads)."""
    return re.sub(r"<[^>]+>", " ", page)


def audited_candidate(app):
    """A candidate created, then changed (phone, state, a guardian added) through the ORM, so
    the session listener writes its audit rows; returns (id, name)."""
    name = "审计·" + uuid.uuid4().hex[:4].upper()
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO,
                                                     Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        birth = dt.date(2010, 3, 4)
        taken = set(db.session.execute(select(Candidate.id_number)).scalars())
        number = next(make_id_number("410102", birth, s) for s in range(701, 999, 2)
                      if make_id_number("410102", birth, s) not in taken)
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=birth,
                         id_number=number, phone="13800000001", category="01", ethnicity="01")
        db.session.add(cand)
        db.session.commit()
        # as a screen does: the record is read, then changed
        assert (cand.phone, cand.ethnicity) == ("13800000001", "01")
        cand.phone = "13900000002"
        cand.ethnicity = "02"
        cand.guardians.append(Guardian(name="审计家长", relation="51"))
        db.session.commit()
        return cand.id, name


def _update_row(app, candidate_id):
    with app.app_context():
        return db.session.execute(select(AuditLog.id).where(
            AuditLog.candidate_id == candidate_id, AuditLog.action == "update",
            AuditLog.table_name == "ks_candidate").order_by(AuditLog.id).limit(1)).scalar_one()


def test_record_history_reads_in_chinese_with_names_and_labels(login, app):
    cid, name = audited_candidate(app)
    c = login("zy_admin")
    detail = text(c.get(f"/candidateview/show/{cid}"))
    link = f"/auditlogview/list/?_flt_1_candidate_id={cid}"
    assert link in detail.replace("&amp;", "&")
    page = _visible(text(c.get(link)))
    # created, changed, and the guardian part: all filed under the candidate
    assert page.count(name) >= 3
    assert "新增" in page and "修改" in page and "监护人" in page
    assert "ks_candidate" not in page and "ks_guardian" not in page and "{'" not in page
    assert "中原区" in page or "郑州" in page  # the unit by its name, not its path
    assert "/410000/" not in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?!\.)", page)  # no microseconds


def test_show_page_lists_each_change_before_and_after_by_label(login, app):
    cid, name = audited_candidate(app)
    c = login("zy_admin")
    page = _visible(text(c.get(f"/auditlogview/show/{_update_row(app, cid)}")))
    assert "13800000001" in page and "13900000002" in page
    assert "汉族" in page and "蒙古族" in page  # ethnicity codes 01 → 02 as their labels
    assert "修改前" in page and "修改后" in page
    assert "ethnicity" not in page and "{'" not in page and "[" not in page
    assert name in page


def test_filters_by_candidate_name_unit_and_action_label(login, app):
    cid, name = audited_candidate(app)
    c = login("zy_admin")
    by_name = _visible(text(c.get(f"/auditlogview/list/?_flt_0_candidate_id={name}")))
    assert by_name.count(name) >= 3
    changed = _visible(text(c.get(
        f"/auditlogview/list/?_flt_0_candidate_id={name}&_flt_0_action=修改")))
    assert 1 <= changed.count(name) < by_name.count(name)
    unit = _visible(text(c.get(
        f"/auditlogview/list/?_flt_0_candidate_id={name}&_flt_0_node_path=中原区")))
    assert unit.count(name) >= 3
    elsewhere = _visible(text(c.get(
        f"/auditlogview/list/?_flt_0_candidate_id={name}&_flt_0_node_path=二七区")))
    assert name not in elsewhere


def test_sibling_county_sees_none_of_the_history(login, app):
    cid, name = audited_candidate(app)
    c = login("eq_admin")
    page = _visible(text(c.get(f"/auditlogview/list/?_flt_1_candidate_id={cid}")))
    assert name not in page
    assert c.get(f"/auditlogview/show/{_update_row(app, cid)}").status_code == 404
