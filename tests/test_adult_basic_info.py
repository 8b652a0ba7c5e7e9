"""成人高考 basic information on the self-service (/me/adult/info, issue 18 item 1): the items
seed 004 has every candidate fill online, their rules (required fields, past dates, work from
16, a diploma unless 文化程度 其他, the medical certificate for a medical preference, column
lengths), the guards every self-service write has (confirmed records frozen, the window), the
confirmation refused while something is missing, and 外语语种 / 毕业学校 as 成人高考 fields on
the staff screens and in the import (still refused for 中招)."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from adult_support import BASIC_INFO
from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT, ZHONGZHAO
from app.extensions import db
from app.selfservice.adult_info import (FIELDS, REQUIRED, basic_info_problems,
                                        missing_basic_info)
from factories import make_candidate
from helpers import OPEN, PAST, PREFERENCE_FORM, csv_bytes, node_id, run_import, text
from test_zh_menu_pages import english_words

pytestmark = pytest.mark.usefixtures("fresh_address_limit")

URL = "/me/adult/info"
#: The candidate's record as this page writes it, plus what it must never write.
UNTOUCHED = ("name", "id_number", "candidate_number", "node_id", "exam_id", "state", "category",
             "locked", "phone", "remark", "study_form", "subject_track", "birth_date")


def record(app, cid, fields=FIELDS + UNTOUCHED):
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        return {f: getattr(cand, f) for f in fields}


def save(c, **over):
    return c.post(URL, {**BASIC_INFO, **over})


def errors(resp):
    """The error texts beside the fields of a refused page."""
    return re.findall(r'<span class="err">([^<]*)</span>', text(resp))


def medical_preference(**extra):
    return {**PREFERENCE_FORM, "level": "03", "major_category": "09", "major_name": "护理学",
            **extra}


# --- saving -----------------------------------------------------------------------------------


def test_a_full_form_is_saved_and_audited(app, adult):
    c, cid = adult()
    page = text(c.get(URL))
    assert "基本信息" in page and 'name="foreign_language"' in page and "英语" in page
    resp = save(c)
    assert resp.status_code == 302 and resp.location.endswith(URL)
    assert "已保存" in text(c.get(URL))
    stored = record(app, cid, FIELDS)
    assert stored == {**BASIC_INFO, "graduation_date": dt.date(2013, 6, 30),
                      "work_start": dt.date(2014, 3, 1), "medical_license": None}
    with app.app_context():
        change = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id == cid,
            AuditLog.action == "update")).scalars().all()[-1]
    assert change.username == f"candidate:{cid}"
    assert change.changes["foreign_language"] == [None, "1"]
    assert change.changes["graduation_date"] == [None, "2013-06-30"]
    # a second save with other values: before and after
    save(c, foreign_language="3", candidate_feature="01")
    with app.app_context():
        change = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id == cid,
            AuditLog.action == "update").order_by(AuditLog.id.desc())).scalars().first()
    assert change.changes["foreign_language"] == ["1", "3"]
    assert change.changes["candidate_feature"] == ["02", "01"]
    assert set(change.changes) <= set(FIELDS)


def test_the_change_reads_as_labels_in_the_audit_log(app, adult, login):
    c, cid = adult()
    save(c)
    save(c, foreign_language="3", candidate_feature="01", enrolment_type="02")
    with app.app_context():
        row = db.session.execute(select(AuditLog.id).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id == cid,
            AuditLog.action == "update").order_by(AuditLog.id.desc())).scalars().first()
    page = re.sub(r"<[^>]+>", " ", text(login("zy_admin").get(f"/auditlogview/show/{row}")))
    for before, after in (("英语", "日语"), ("年满25周岁", "无"), ("非定向", "定向")):
        assert before in page and after in page
    assert "外语语种" in page and "考生特征" in page and "招生类别" in page


@pytest.mark.parametrize("field", REQUIRED + ("diploma_number",))
def test_each_required_field_is_required(app, adult, field):
    c, cid = adult()
    before = record(app, cid)
    resp = save(c, **{field: ""})
    assert resp.status_code == 400
    assert errors(resp), field
    assert record(app, cid) == before


def test_no_diploma_number_for_the_education_level_other(app, adult):
    c, cid = adult()
    assert save(c, education_level="90", diploma_number="").status_code == 302
    assert record(app, cid)["diploma_number"] is None
    resp = save(c, education_level="60", diploma_number="")
    assert resp.status_code == 400 and any("其他" in e for e in errors(resp))


@pytest.mark.parametrize("field,value", [
    ("candidate_feature", "99"), ("enrolment_type", "09"), ("education_level", "10"),
    ("occupation", "Z"), ("foreign_language", "9"), ("ethnicity", "99"),
    ("political_status", "14"), ("postcode", "45000"), ("graduation_date", "去年"),
])
def test_values_outside_the_rules_are_refused(app, adult, field, value):
    c, cid = adult()
    before = record(app, cid)
    resp = save(c, **{field: value})
    assert resp.status_code == 400 and errors(resp)
    assert record(app, cid) == before


def test_graduation_date_is_a_past_date_after_birth(app, adult):
    c, cid = adult()  # born 1995-04-18
    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    resp = save(c, graduation_date=future)
    assert resp.status_code == 400 and any(future in e for e in errors(resp))
    resp = save(c, graduation_date="1994-06-30")
    assert resp.status_code == 400 and any("出生日期" in e for e in errors(resp))
    assert record(app, cid)["graduation_date"] is None
    assert save(c, graduation_date="2013-06").status_code == 302  # a month: its first day
    assert record(app, cid)["graduation_date"] == dt.date(2013, 6, 1)


def test_work_start_not_before_the_16th_birthday(app, adult):
    c, cid = adult()  # born 1995-04-18
    resp = save(c, work_start="2011-04-17")
    assert resp.status_code == 400 and any("2011-04-18" in e for e in errors(resp))
    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    assert save(c, work_start=future).status_code == 400
    assert record(app, cid)["work_start"] is None
    assert save(c, work_start="2011-04-18").status_code == 302
    assert record(app, cid)["work_start"] == dt.date(2011, 4, 18)
    assert save(c, work_start="").status_code == 302  # not required (not everyone works)
    assert record(app, cid)["work_start"] is None


def test_a_medical_preference_needs_the_certificate_number(app, adult):
    c, cid = adult(category="03")
    assert c.post("/me/preferences/1", medical_preference()).status_code == 302
    page = text(c.get(URL))
    assert 'id="medical-hint"' in page
    resp = save(c, medical_license="")
    assert resp.status_code == 400 and any("医学" in e for e in errors(resp))
    assert record(app, cid)["graduation_school"] is None
    assert save(c, medical_license="  2010 4101 0200 123 ").status_code == 302
    assert record(app, cid)["medical_license"] == "2010 4101 0200 123"


def test_a_medical_preference_added_later_is_missing_before_confirming(app, adult):
    c, cid = adult(category="03")
    c.post("/me/preferences/1", {**PREFERENCE_FORM, "level": "03"})
    assert save(c).status_code == 302
    with app.app_context():
        assert missing_basic_info(db.session.get(Candidate, cid)) == []
    c.post("/me/preferences/1", medical_preference())
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert missing_basic_info(cand) == ["medical_license"]
        assert "医学类执业资格证书编号" in str(basic_info_problems(cand)[0])


@pytest.mark.parametrize("field,at_limit,above", [
    ("graduation_school", "校" * 100, "校" * 101),
    ("diploma_number", "A" * 40, "A" * 41),
    ("medical_license", "9" * 40, "9" * 41),
    ("address", "路" * 200, "路" * 201),
    ("postcode", "450000", "4500001"),
])
def test_lengths_are_the_columns(app, adult, field, at_limit, above):
    c, cid = adult()
    resp = save(c, **{field: above})
    assert resp.status_code == 400 and errors(resp)
    assert record(app, cid)[field] is None
    assert save(c, **{field: at_limit}).status_code == 302
    assert record(app, cid)[field] == at_limit


def test_fields_not_on_the_form_are_ignored(app, adult):
    c, cid = adult()
    before = record(app, cid, UNTOUCHED)
    forged = {"candidate_number": "26999999999", "node_id": node_id(app, "BM410102"),
              "node": node_id(app, "BM410102"), "exam_id": "1", "state": "county_approved",
              "category": "03", "locked": "1", "name": "冒名", "id_number": "11010119900307001X",
              "phone": "13900009999", "remark": "伪造", "study_form": "1", "subject_track": "1",
              "birth_date": "1980-01-01", "version": "99"}
    assert save(c, **forged).status_code == 302
    after = record(app, cid, UNTOUCHED)
    assert after == before
    assert record(app, cid)["foreign_language"] == "1"


# --- guards -----------------------------------------------------------------------------------


def test_frozen_once_confirmed(app, adult):
    c, cid = adult()
    save(c)
    with app.app_context():
        db.session.get(Candidate, cid).state = "confirmed"
        db.session.commit()
    before = record(app, cid)
    resp = save(c, foreign_language="2", graduation_school="改过的学校")
    assert resp.status_code == 403 and "不能在此修改" in text(resp)
    assert record(app, cid) == before
    page = text(c.get(URL))
    assert 'id="refusal"' in page and "<form method=\"post\" action=\"/me/adult/info\"" not in page
    assert "郑州市第一中学" in page and "英语" in page  # read-only values


def test_refused_outside_the_window(app, adult, phase):
    c, cid = adult()
    phase("self_registration", *PAST, kind=ADULT)
    before = record(app, cid)
    resp = save(c)
    assert resp.status_code == 403 and 'id="refusal"' in text(resp)
    assert record(app, cid) == before
    phase("self_registration", *OPEN, kind=ADULT)
    assert save(c).status_code == 302


def test_a_concurrent_change_is_reported_not_overwritten(app, adult, monkeypatch):
    from sqlalchemy import update

    from app.selfservice import adult_info

    c, cid = adult()
    validate = adult_info.BasicInfoForm.validate

    def staff_saves_meanwhile(form, *args, **kwargs):
        # Between the page reading the record and writing it, another writer moves its version.
        db.session.execute(update(Candidate).where(Candidate.id == cid).values(
            version=Candidate.version + 1, graduation_school="别人改的学校"
        ).execution_options(synchronize_session=False))
        return validate(form, *args, **kwargs)

    monkeypatch.setattr(adult_info.BasicInfoForm, "validate", staff_saves_meanwhile)
    resp = save(c)
    assert resp.status_code == 302
    page = text(c.get(URL))
    assert "其他人" in page or "别人" in page or "他人" in page
    assert record(app, cid)["foreign_language"] is None


def test_adult_candidates_only(app, candidate):
    c, _cid, _ = candidate()  # 中招
    assert c.get(URL).status_code == 404
    assert c.post(URL, BASIC_INFO).status_code == 404
    assert "/me/adult/info" not in text(c.get("/me/"))


# --- confirmation -----------------------------------------------------------------------------


def confirm(c, app, cid):
    with app.app_context():
        version = db.session.get(Candidate, cid).version
    return text(c.post("/me/confirm", {"version": version, "pledge": "2026-1"},
                       follow_redirects=True))


def test_confirmation_refused_while_basic_information_is_missing(app, adult):
    c, cid = adult()
    c.post("/me/preferences/1", PREFERENCE_FORM)
    c.post("/me/point", {"point_id": node_id(app, "BM410102")})
    status = text(c.get("/me/"))
    assert 'id="adult-info-link"' in status
    assert "请填写基本信息：考生特征、招生类别、文化程度、毕业学校、毕业日期、毕业证书编号" in status
    page = confirm(c, app, cid)
    assert "请填写基本信息：" in page and "外语语种" in page and "邮政编码" in page
    assert record(app, cid)["state"] == "draft"
    assert save(c).status_code == 302
    with app.app_context():  # e.g. a record a point imported without it
        db.session.get(Candidate, cid).postcode = None
        db.session.commit()
    page = confirm(c, app, cid)
    assert "请填写基本信息：邮政编码。" in page
    assert record(app, cid)["state"] == "draft"
    save(c)
    assert "请填写基本信息" not in text(c.get("/me/"))
    confirm(c, app, cid)
    assert record(app, cid)["state"] == "confirmed"


# --- zh ---------------------------------------------------------------------------------------


def test_the_page_reads_in_chinese(app, adult, phase):
    c, cid = adult(category="03")
    c.post("/me/preferences/1", medical_preference())
    pages = [text(c.get(URL)), text(save(c, graduation_date="2090-01-01", postcode="1",
                                         education_level="", work_start="1990-01-01",
                                         diploma_number=""))]
    save(c, medical_license="123")
    with app.app_context():
        db.session.get(Candidate, cid).state = "confirmed"
        db.session.commit()
    pages.append(text(c.get(URL)))
    found = {i: sorted(english_words(p)) for i, p in enumerate(pages) if english_words(p)}
    assert not found, found


# --- staff screens and the import: 外语语种 is a 成人高考 field too -------------------------------


def staff_edit_form(app, cid, **over):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        data = {"node": c.node_id, "name": c.name, "gender": c.gender,
                "id_number": c.id_number, "birth_date": c.birth_date.isoformat(),
                "category": c.category or ""}
    return {**data, **over}


def test_staff_edit_accepts_foreign_language_for_adult_records(app, school_staff):
    cid = make_candidate(app, kind=ADULT, category="02", birth=dt.date(1990, 1, 1))
    url = f"/candidateview/edit/{cid}"
    page = text(school_staff.get(url))
    assert page.count('name="foreign_language"') == 1
    assert page.count('name="graduation_school"') == 1
    school_staff.refresh_token(url)
    resp = school_staff.post(url, staff_edit_form(app, cid, foreign_language="2",
                                                  graduation_school="郑州市第七中学",
                                                  candidate_feature="02"))
    assert resp.status_code == 302, text(resp)[-800:]
    assert record(app, cid, ("foreign_language", "graduation_school")) == {
        "foreign_language": "2", "graduation_school": "郑州市第七中学"}
    show = text(school_staff.get(f"/candidateview/show/{cid}"))
    assert "外语语种" in show and "俄语" in show and "郑州市第七中学" in show
    assert "年满25周岁" in show  # 考生特征 as its label


def test_staff_edit_still_refuses_foreign_language_for_zhongzhao(app, school_staff):
    cid = make_candidate(app, kind=ZHONGZHAO, category="01")
    url = f"/candidateview/edit/{cid}"
    assert 'name="foreign_language"' not in text(school_staff.get(url))
    school_staff.refresh_token(url)
    page = text(school_staff.post(url, staff_edit_form(app, cid, foreign_language="1"),
                                  follow_redirects=True))
    assert "仅适用于高考、成人高考考生" in page
    assert record(app, cid, ("foreign_language",)) == {"foreign_language": None}


def test_add_form_has_the_shared_fields_once_in_their_own_section(school_staff):
    page = text(school_staff.get("/candidateview/add"))
    assert page.count('name="foreign_language"') == 1
    assert page.count('name="graduation_school"') == 1
    assert "仅高考、成人高考考生填写" in page
    assert "仅高考考生填写" in page and "仅成人高考考生填写" in page


def test_adult_import_takes_foreign_language_and_graduation_school(app, login):
    from app.validators import make_id_number

    point = login("zy_point")
    header = ["姓名", "身份证号", "学校代码", "外语语种", "毕业学校", "文化程度"]
    id_number = make_id_number("410102", dt.date(1993, 5, 6), 953)
    _, status = run_import(point, app, csv_bytes(
        [["外语考生", id_number, "BM410102", "日语", "郑州市第九中学", "普通高中"]],
        header=header), kind="adult")
    assert (status["created"], status["rejected"]) == (1, 0), status
    with app.app_context():
        cand = db.session.execute(select(Candidate).where(
            Candidate.id_number == id_number)).scalar_one()
        assert (cand.foreign_language, cand.graduation_school, cand.education_level) == (
            "3", "郑州市第九中学", "60")


def test_zhongzhao_import_refuses_foreign_language(app):
    from app.candidates.importer import RowError, convert_row
    from app.candidates.registry_file import auto_mapping
    from app.validators import make_id_number

    assert "foreign_language" not in auto_mapping(["姓名", "外语语种"], ZHONGZHAO)
    assert auto_mapping(["姓名", "外语语种"], ADULT) == {"name": 0, "foreign_language": 1}
    values = {"name": "朱五", "id_number": make_id_number("410102", dt.date(2011, 4, 28), 955),
              "school_code": "41010201", "foreign_language": "1"}
    with app.test_request_context():
        with pytest.raises(RowError) as info:
            convert_row(values, ZHONGZHAO)
        assert "高考、成人高考" in dict(info.value.problems)["foreign_language"]
        assert convert_row(values, ADULT)[0]["foreign_language"] == "1"


# --- printed form -----------------------------------------------------------------------------


def test_the_register_form_prints_the_basic_information(app, adult, monkeypatch):
    from app.adult import register_form
    from app.adult.result_models import AdultAdmission

    c, cid = adult()
    save(c, medical_license="2010410102")
    monkeypatch.setattr(register_form, "may_print", lambda: True)
    with app.test_request_context():
        db.session.add(AdultAdmission(candidate_id=cid, institution_code="10459",
                                      institution_name="郑州大学", major_code="120203",
                                      major_name="会计学", level="01", study_form="3",
                                      admitted_on=dt.date(2026, 12, 1)))
        db.session.commit()
        basic = dict(register_form.register_context(db.session.get(Candidate, cid))[
            "register"]["basic"])
    assert (basic["外语语种"], basic["毕业学校"]) == ("英语", "郑州市第一中学")
    assert (basic["考生特征"], basic["招生类别"], basic["文化程度"]) == (
        "年满25周岁", "非定向", "普通高中")
    assert (basic["毕业日期"], basic["毕业证书编号"], basic["工作日期"]) == (
        "2013-06-30", "4101022013000123", "2014-03-01")
    assert (basic["职业类别"], basic["医学类执业资格证书编号"]) == ("商业、服务业人员", "2010410102")
    assert (basic["通讯地址"], basic["邮政编码"], basic["民族"], basic["政治面貌"]) == (
        "郑州市中原区建设路1号", "450000", "汉族", "群众")
