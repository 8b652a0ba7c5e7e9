"""Every kind of candidate document (issue 18.2, seed 004 §四.3): 居民身份证, 港澳台居民居住证,
港澳居民来往内地通行证, 台湾居民来往大陆通行证, 护照（华侨）, 护照（外籍）, each with its own rule on the
staff form, in the registry import and at the self-service login."""
import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.extensions import db
from app.validators import id_check_char, make_id_number
from helpers import csv_bytes, exam_id, node_id, run_import, text

BIRTH = dt.date(2008, 6, 1)


def permit(region, seq):
    body = f"{region}{BIRTH:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def add_form(app, id_type, number, **over):
    data = {"exam": exam_id(app), "node": node_id(app, "41010201"), "name": "证件考生",
            "gender": "2", "id_type": id_type, "id_number": number,
            "birth_date": BIRTH.isoformat(), "category": "zhongzhao:01"}
    data.update(over)
    return data


def stored(app, number):
    with app.app_context():
        row = db.session.execute(select(Candidate.id_type, Candidate.birth_date,
                                        Candidate.gender).where(
            Candidate.id_number == number)).first()
        return tuple(row) if row else None


def add(client, data):
    client.refresh_token("/candidateview/add")
    resp = client.post("/candidateview/add", data)
    return resp.status_code, text(resp) if resp.status_code == 200 else ""


@pytest.mark.parametrize("id_type,number", [
    ("2", permit("810000", 2)), ("2", permit("830000", 4)),
    ("3", "H12345678"), ("3", "m1234567801"), ("4", "87654321"),
    ("5", "EA1234567"), ("5", "G12345678"), ("6", "X98765432"),
])
def test_each_document_kind_is_stored_with_its_type(school_staff, app, id_type, number):
    status, page = add(school_staff, add_form(app, id_type, number))
    assert status == 302, page[-800:]
    assert stored(app, number.upper()) == (id_type, BIRTH, "2")


@pytest.mark.parametrize("id_type,number,message", [
    ("1", permit("810000", 6), "港澳台居民居住证"),
    ("2", make_id_number("410102", BIRTH, 8), "810000"),
    ("3", "X12345678", "H 或 M"),
    ("4", "1234567", "8 位数字"),
    ("5", "E1234", "E"),
    ("6", "ABCDEFGH", "至少有一个数字"),
])
def test_a_number_that_breaks_its_kind_rule_is_refused_and_kept(school_staff, app, id_type,
                                                                 number, message):
    status, page = add(school_staff, add_form(app, id_type, number, name="错号考生"))
    assert status == 200 and message in page
    assert f'value="{number}"' in page  # what was typed stays on the form
    assert stored(app, number.upper()) is None


def test_birth_date_and_gender_are_checked_only_where_the_number_carries_them(school_staff, app):
    # A residence permit carries them (GB 11643 layout): a contradiction is refused.
    number = permit("820000", 10)
    school_staff.refresh_token("/candidateview/add")
    page = text(school_staff.post("/candidateview/add",
                                  add_form(app, "2", number, birth_date="2008-06-02"),
                                  follow_redirects=True))
    assert "出生日期与身份证号不一致" in page and stored(app, number) is None
    # A passport carries neither: the entered values stand.
    status, _ = add(school_staff, add_form(app, "6", "K55566677", birth_date="2007-01-31",
                                           gender="1"))
    assert status == 302 and stored(app, "K55566677") == ("6", dt.date(2007, 1, 31), "1")


def test_form_without_the_type_keeps_an_id_card(school_staff, app):
    number = make_id_number("410102", BIRTH, 12)
    data = add_form(app, "1", number)
    del data["id_type"]
    status, page = add(school_staff, data)
    assert status == 302, page[-500:]
    assert stored(app, number)[0] == "1"


HEADER = ["姓名", "证件类型", "身份证号", "性别", "出生日期", "学校代码"]


def test_import_reads_the_document_type_column(school_staff, app):
    rows = [
        ["港生甲", "港澳居民来往内地通行证", "H20080601", "女", "2008-06-01", "41010201"],
        ["外籍乙", "6", "P7654321", "男", "2008-03-02", "41010201"],
        ["居住丙", "港澳台居民居住证", permit("830000", 14), "女", "", "41010201"],
        ["缺生日", "护照（外籍）", "P1111111", "男", "", "41010201"],
        ["错类型", "军官证", "P2222222", "男", "2008-01-01", "41010201"],
        ["错护照", "护照（华侨）", "X1234", "男", "2008-01-01", "41010201"],
        ["身份证", "", make_id_number("410102", BIRTH, 16), "女", "", "41010201"],
    ]
    data = csv_bytes(rows, encoding="gbk", header=HEADER)
    batch_id, status = run_import(school_staff, app, data)
    assert (status["created"], status["rejected"]) == (4, 3), status
    assert stored(app, "H20080601") == ("3", BIRTH, "2")
    assert stored(app, "P7654321") == ("6", dt.date(2008, 3, 2), "1")
    # A residence permit's birth date and gender come from its number.
    assert stored(app, permit("830000", 14)) == ("2", BIRTH, "2")
    assert stored(app, make_id_number("410102", BIRTH, 16))[0] == "1"
    resp = school_staff.get(f"/registry-import/{batch_id}/errors.csv")
    report = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    by_row = {int(r[0]): r for r in report[1:]}
    assert set(by_row) >= {5, 6, 7}
    assert any(r[1] == "出生日期" for r in report[1:] if int(r[0]) == 5)
    assert by_row[6][1] == "证件类型" and by_row[7][1] == "身份证号"
    for number in ("P1111111", "P2222222", "X1234"):
        assert stored(app, number) is None


def test_self_service_finds_the_account_by_a_passport_number(app):
    from app.selfservice.auth import accounts_for
    from app.selfservice.models import CandidateAccount

    with app.app_context():
        exam = exam_id(app)
        cand = Candidate(exam_id=exam, node_id=node_id(app, "41010201"), name="护照登录",
                         gender="1", id_type="6", id_number="Q24681357", birth_date=BIRTH)
        db.session.add(cand)
        db.session.flush()
        db.session.add(CandidateAccount(candidate_id=cand.id, password_hash="x",
                                        recovery_question="q", recovery_answer_hash="x"))
        db.session.commit()
        found = accounts_for(" q24681357 ")
        assert [a.candidate_id for a in found] == [cand.id]
        # An ID-card holder's number typed as text is never matched this way.
        assert accounts_for("Q24681358") == []
