from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from app import codes
from app.validators import (
    EXAM_FIELDS,
    InvalidValue,
    check_exam_field,
    check_id_consistency,
    division_prefix,
    form_validator,
    id_birth_date,
    id_check_char,
    id_gender,
    make_id_number,
    mask_id_number,
    message_text,
    validate_candidate_number,
    validate_division_code,
    validate_id_number,
    validate_mobile,
    validate_name,
    validate_past_date,
    validate_postcode,
)

ID_F = "11010519491231002X"  # female, born 1949-12-31
ID_M = "370101190102039973"  # male, born 1901-02-03


def error_code(fn, *args, **kwargs):
    with pytest.raises(InvalidValue) as info:
        fn(*args, **kwargs)
    return info.value.code


def with_check(first17):
    return first17 + id_check_char(first17)


# --- ID number ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [ID_F, ID_M])
def test_id_valid_examples(value):
    assert validate_id_number(value) == value


def test_id_normalises_lowercase_x_spaces_and_fullwidth():
    assert validate_id_number(" 110105 19491231 002x ") == ID_F
    assert validate_id_number("１１０１０５１９４９１２３１００２ｘ") == ID_F


@pytest.mark.parametrize("value", ["", None, ID_F[:17], ID_F + "1"])
def test_id_length(value):
    assert error_code(validate_id_number, value) == "id_length"


@pytest.mark.parametrize("value", ["1101051949123100XX", "11010519491231002Y", "A1010519491231002X"])
def test_id_format(value):
    assert error_code(validate_id_number, value) == "id_format"


def test_id_checksum():
    wrong = ID_M[:17] + "0"
    assert error_code(validate_id_number, wrong) == "id_checksum"


@pytest.mark.parametrize("region", ["000000", "100000", "160000", "240000", "720000", "910000"])
def test_id_region(region):
    assert error_code(validate_id_number, make_id_number(region, date(2008, 5, 1), 12)) == "id_region"


@pytest.mark.parametrize("prefix", ["11", "15", "23", "37", "46", "54", "65", "71", "81", "82"])
def test_id_region_accepts_all_province_ranges(prefix):
    value = make_id_number(prefix + "0000", date(2008, 5, 1), 12)
    assert validate_id_number(value) == value


@pytest.mark.parametrize("ymd", ["20080230", "20071301", "20070000", "18991231"])
def test_id_birthdate_invalid(ymd):
    assert error_code(validate_id_number, with_check("410102" + ymd + "123")) == "id_birthdate"


def test_id_birthdate_future():
    today = date(2025, 6, 1)
    assert validate_id_number(make_id_number("410102", today, 1), today=today)
    tomorrow = make_id_number("410102", date(2025, 6, 2), 1)
    assert error_code(validate_id_number, tomorrow, today=today) == "id_birthdate"
    next_year = make_id_number("410102", date(date.today().year + 1, 1, 1), 1)
    assert error_code(validate_id_number, next_year) == "id_birthdate"


def test_id_birthdate_1900_boundary():
    assert validate_id_number(make_id_number("410102", date(1900, 1, 1), 5))


def test_make_id_number_round_trips():
    for birth, seq in [(date(2009, 2, 28), 0), (date(2000, 2, 29), 999), (date(1988, 11, 7), 37)]:
        value = make_id_number("410105", birth, seq)
        assert validate_id_number(value) == value
        assert id_birth_date(value) == birth
        assert id_gender(value) == ("M" if seq % 2 else "F")
    assert make_id_number("110105", date(1949, 12, 31), 2) == ID_F


@pytest.mark.parametrize("args", [("41010", date(2000, 1, 1), 1), ("410105", date(2000, 1, 1), 1000)])
def test_make_id_number_rejects_bad_input(args):
    with pytest.raises(ValueError):
        make_id_number(*args)


def test_id_birth_date_and_gender():
    assert id_birth_date(ID_F) == date(1949, 12, 31)
    assert id_birth_date(ID_M) == date(1901, 2, 3)
    assert id_gender(ID_F) == "F"
    assert id_gender(ID_M) == "M"
    assert error_code(id_gender, ID_M[:17] + "0") == "id_checksum"


def test_id_consistency_accepts_matching():
    # Each matching pair passes, and the same pair a day or a gender off is refused: the
    # acceptance comes from a real comparison, not from a check that never fires.
    for id_number, birth, gender, other in [(ID_F, date(1949, 12, 31), "F", "M"),
                                            (ID_F, datetime(1949, 12, 31, 8, 0), "2", "1"),
                                            (ID_M, date(1901, 2, 3), "1", "2")]:
        assert check_id_consistency(id_number, birth, gender) is None
        assert error_code(check_id_consistency, id_number, birth, other) == "id_gender_mismatch"
        assert error_code(check_id_consistency, id_number, birth + timedelta(days=1),
                          gender) == "id_birth_mismatch"
    assert check_id_consistency(ID_M, None, None) is None


def test_id_consistency_birth_mismatch():
    assert error_code(check_id_consistency, ID_F, date(1949, 12, 30), "F") == "id_birth_mismatch"


@pytest.mark.parametrize("gender", ["M", "1"])
def test_id_consistency_gender_mismatch(gender):
    assert error_code(check_id_consistency, ID_F, date(1949, 12, 31), gender) == "id_gender_mismatch"


def test_id_consistency_rejects_unknown_gender_code():
    with pytest.raises(ValueError):
        check_id_consistency(ID_F, None, "9")


def test_mask_id_number():
    assert mask_id_number("410102200805011234") == "4101**********1234"
    assert mask_id_number(ID_F) == "1101**********002X"
    assert mask_id_number("410102080501123") == "4101*******1123"  # old 15-digit
    assert mask_id_number(None) == ""
    assert mask_id_number("") == ""
    assert mask_id_number("12345678") == "********"


# --- division codes -------------------------------------------------------------------


def test_division_valid_and_prefix():
    assert validate_division_code("410102") == "410102"
    assert validate_division_code(" 410102 ") == "410102"
    assert validate_division_code("410102", parent_prefix="410100") == "410102"
    assert validate_division_code("410102", parent_prefix="4101") == "410102"
    assert validate_division_code("410100", parent_prefix="410000") == "410100"
    assert validate_division_code("419001", parent_prefix="41") == "419001"
    assert [division_prefix(c) for c in ("410000", "410100", "410102")] == ["41", "4101", "410102"]


@pytest.mark.parametrize("value", ["", None, "41010", "4101020", "41010a"])
def test_division_format(value):
    assert error_code(validate_division_code, value) == "division_format"


@pytest.mark.parametrize("value", ["000000", "990100", "720000"])
def test_division_region(value):
    assert error_code(validate_division_code, value) == "division_region"


@pytest.mark.parametrize("code,parent", [("410202", "410100"), ("420102", "410000"),
                                         ("410100", "410100")])
def test_division_outside(code, parent):
    assert error_code(validate_division_code, code, parent_prefix=parent) == "division_outside"


# --- mobile / postcode ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["13812345678", "138 1234 5678", "138-1234-5678",
                                   "+86 138 1234 5678", "8613812345678", "0086-13812345678",
                                   "１３８１２３４５６７８"])
def test_mobile_valid(value):
    assert validate_mobile(value) == "13812345678"


@pytest.mark.parametrize("value", ["", None, "1381234567", "138123456789", "12812345678",
                                   "23812345678", "0371-12345678", "1381234567a", "+8712812345678"])
def test_mobile_format(value):
    assert error_code(validate_mobile, value) == "mobile_format"


def test_postcode():
    assert validate_postcode(" 450000 ") == "450000"
    for bad in ("", None, "45000", "4500001", "45000a"):
        assert error_code(validate_postcode, bad) == "postcode_format"


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("张三", "张三"),
    ("  欧阳娜娜 ", "欧阳娜娜"),
    ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
    ("阿卜杜拉•买买提", "阿卜杜拉·买买提"),
    ("阿卜杜拉・买买提", "阿卜杜拉·买买提"),
    ("阿卜杜拉．买买提", "阿卜杜拉·买买提"),
    ("王㑇", "王㑇"),  # Extension A
    ("李\U00020000", "李\U00020000"),  # Extension B
    ("山﨑", "山﨑"),  # unified ideograph in the compatibility block
])
def test_name_valid(value, expected):
    assert validate_name(value) == expected


@pytest.mark.parametrize("value", ["", None, "张", "  张 ", "张" * 21])
def test_name_length(value):
    assert error_code(validate_name, value) == "name_length"


def test_name_length_boundary():
    assert validate_name("张" * 20) == "张" * 20


@pytest.mark.parametrize("value", ["Zhang San", "张三a", "张三1", "张 三", "张三。", "김철수", "张三\u3000丰"])
def test_name_chars(value):
    assert error_code(validate_name, value) == "name_chars"


@pytest.mark.parametrize("value", ["·买买提", "阿卜杜拉·", "阿卜杜拉··买买提", "阿卜杜拉•·买买提"])
def test_name_dot(value):
    assert error_code(validate_name, value) == "name_dot"


# --- messages -------------------------------------------------------------------------


def test_messages_render_without_app():
    with pytest.raises(InvalidValue) as info:
        validate_id_number("123")
    assert str(info.value) == "ID number must be 18 characters long, not 3."


def test_messages_render_in_app_without_babel():
    with Flask(__name__).app_context():
        with pytest.raises(InvalidValue) as info:
            validate_name("·买买提")
        assert "middle dot" in str(info.value)
        assert message_text(info.value.message) == str(info.value)


def test_messages_do_not_leak_id_number():
    for bad in (ID_M[:17] + "0", with_check("41010220080230123")):
        with pytest.raises(InvalidValue) as info:
            validate_id_number(bad)
        assert bad[6:14] not in str(info.value)


def test_form_validator():
    class Field:
        def __init__(self, data):
            self.data = data

    from wtforms.validators import ValidationError as WTFormsValidationError

    check = form_validator(validate_mobile)
    field = Field("+86 138-1234-5678")
    check(None, field)
    assert field.data == "13812345678"
    check(None, Field(""))  # emptiness is DataRequired's business
    with pytest.raises(WTFormsValidationError, match="mobile"):
        check(None, Field("12345"))
    scoped = form_validator(validate_division_code, parent_prefix="4101")
    with pytest.raises(WTFormsValidationError):
        scoped(None, Field("420102"))


# --- code lists -----------------------------------------------------------------------

TABLES = [codes.ETHNICITIES, codes.POLITICAL_STATUS, codes.GENDERS, codes.EXAM_KINDS,
          codes.FOREIGN_LANGUAGES, codes.SUBJECT_TRACKS, codes.EDUCATION_LEVELS,
          codes.OCCUPATIONS, codes.GUARDIAN_RELATIONS, *codes.CANDIDATE_CATEGORIES.values()]


def test_ethnicities_are_the_56_in_gb3304_order():
    assert len(codes.ETHNICITIES) == 56
    assert [c for c, _, _ in codes.ETHNICITIES] == [f"{n:02d}" for n in range(1, 57)]
    assert len({zh for _, zh, _ in codes.ETHNICITIES}) == 56
    assert all(zh.endswith("族") for _, zh, _ in codes.ETHNICITIES)
    spot = {"01": "汉族", "05": "维吾尔族", "10": "朝鲜族", "23": "高山族", "29": "柯尔克孜族",
            "37": "仡佬族", "43": "乌孜别克族", "46": "德昂族", "49": "京族", "56": "基诺族"}
    assert {c: codes.label(codes.ETHNICITIES, c) for c in spot} == spot


@pytest.mark.parametrize("table", TABLES)
def test_tables_well_formed(table):
    assert table, "empty table"
    assert len({row[0] for row in table}) == len(table)
    for code, zh, en in table:
        assert code and zh and en and isinstance(code, str)


def test_political_status_core_codes():
    expected = {"01": "中国共产党党员", "02": "中国共产党预备党员",
                "03": "中国共产主义青年团团员", "12": "无党派民主人士", "13": "群众"}
    assert {c: codes.label(codes.POLITICAL_STATUS, c) for c in expected} == expected
    assert [c for c, _, _ in codes.POLITICAL_STATUS] == [f"{n:02d}" for n in range(1, 14)]


def test_candidate_categories_per_kind():
    assert set(codes.CANDIDATE_CATEGORIES) == {c for c, _, _ in codes.EXAM_KINDS}
    zh = lambda kind: {z for _, z, _ in codes.CANDIDATE_CATEGORIES[kind]}  # noqa: E731
    assert {"学籍户籍一致", "回户籍地报考", "八年级", "社会考生"} <= zh(codes.ZHONGZHAO)
    assert {"普通高中应届", "普通高中往届"} <= zh(codes.GAOKAO)
    assert zh(codes.ADULT) == {"高起本", "高起专", "专升本"}


def test_choices_and_label():
    assert codes.choices(codes.GENDERS) == [("1", "男"), ("2", "女")]
    assert codes.choices(codes.GENDERS, lang="en") == [("1", "Male"), ("2", "Female")]
    assert codes.choices(codes.GENDERS, lang="en_US")[0] == ("1", "Male")
    assert codes.choices(codes.GENDERS, lang=None) == [("1", "男"), ("2", "女")]
    assert codes.label(codes.ETHNICITIES, "02") == "蒙古族"
    assert codes.label(codes.ETHNICITIES, "02", lang="en") == "Mongol"
    assert codes.label(codes.ETHNICITIES, "57") is None
    assert codes.label(codes.ETHNICITIES, "57", default="?") == "?"


def test_gender_mapping_matches_id_numbers():
    assert codes.gender_code(id_gender(ID_M)) == "1"
    assert codes.gender_code(id_gender(ID_F)) == "2"
    assert {codes.gender_mf(c) for c, _, _ in codes.GENDERS} == {"M", "F"}
    assert codes.label(codes.GENDERS, codes.gender_code("F")) == "女"
    with pytest.raises(ValueError):
        codes.gender_mf("0")


# --- 考生号, past dates, fields of one exam kind ------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("26410102150001", "26410102150001"), (" 2641 0102 150001 ", "26410102150001"),
    ("２６４１０１０２", "26410102"), ("a1", "A1"), ("X" * 20, "X" * 20),
])
def test_candidate_number_accepts(value, expected):
    assert validate_candidate_number(value) == expected


@pytest.mark.parametrize("value", ["", "2641-0102", "考生号1", "1" * 21, None])
def test_candidate_number_rejects(value):
    assert error_code(validate_candidate_number, value) == "candidate_number_format"


def test_past_date():
    today = date(2026, 3, 1)
    assert validate_past_date(date(2026, 3, 1), today=today) == date(2026, 3, 1)
    assert validate_past_date(datetime(2015, 7, 1, 0, 0), today=today) == date(2015, 7, 1)
    assert error_code(validate_past_date, date(2026, 3, 2), today=today) == "date_range"
    assert error_code(validate_past_date, date(1899, 12, 31), today=today) == "date_range"


def test_exam_fields_are_columns_of_their_kinds():
    # Every exam-specific field is a column of the candidate, listed once per kind; 外语语种
    # and 毕业学校 belong to 高考 and 成人高考 (seed 004's basic information), not to 中招.
    from app.candidates.models import Candidate

    for names in EXAM_FIELDS.values():
        assert len(names) == len(set(names))
    fields = {f for names in EXAM_FIELDS.values() for f in names}
    assert fields <= set(Candidate.__table__.c.keys())
    assert set(EXAM_FIELDS) == {codes.GAOKAO, codes.ADULT}
    shared = set(EXAM_FIELDS[codes.GAOKAO]) & set(EXAM_FIELDS[codes.ADULT])
    assert shared == {"foreign_language", "graduation_school"}


@pytest.mark.parametrize("kind,field", [
    (codes.GAOKAO, "subject_track"), (codes.ADULT, "education_level"),
    (codes.ADULT, "medical_license"), (codes.ZHONGZHAO, "phone"), (codes.GAOKAO, "class_name"),
    (codes.ADULT, "foreign_language"), (codes.GAOKAO, "foreign_language"),
    (codes.ADULT, "graduation_school"),
])
def test_exam_field_accepted_for_its_kind(kind, field):
    assert check_exam_field(kind, field) is None
    others = [k for k in (codes.ZHONGZHAO, codes.GAOKAO, codes.ADULT)
              if field not in EXAM_FIELDS.get(k, ())]
    if field in EXAM_FIELDS.get(kind, ()):  # the kind's own field: the other exams refuse it
        assert {error_code(check_exam_field, k, field) for k in others} == {"exam_field"}
    else:  # a field every exam records
        assert all(check_exam_field(k, field) is None for k in others)


@pytest.mark.parametrize("kind,field,owner", [
    (codes.ZHONGZHAO, "subject_track", "高考"), (codes.ADULT, "subject_track", "高考"),
    (codes.ZHONGZHAO, "foreign_language", "高考、成人高考"),
    (codes.GAOKAO, "education_level", "成人高考"), (codes.ZHONGZHAO, "remark", "成人高考"),
])
def test_exam_field_of_another_kind_is_refused(kind, field, owner):
    with pytest.raises(InvalidValue) as info:
        check_exam_field(kind, field)
    assert info.value.code == "exam_field"
    text = str(info.value)
    assert owner in text and codes.label(codes.EXAM_KINDS, kind) in text
