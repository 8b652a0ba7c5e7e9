"""app.candidates.registry_file: reading 学籍 exports, header mapping, value normalisers."""
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from app import codes
from app.candidates.registry_file import (
    FIELDS, RegistryFileError, apply_mapping, auto_mapping, fields_for, missing_required,
    normalise_code, normalise_date, normalise_gender, read_table)
from app.validators import InvalidValue, make_id_number

ID1 = make_id_number("410102", date(2008, 3, 15), 123)
ID2 = make_id_number("410105", date(2008, 11, 2), 456)
CSV_TEXT = f"姓名,身份证号,学校代码,民族\n张三,{ID1},4101001,汉族\n李四,{ID2},4101002,回族\n"


def assert_two_rows(table):
    assert table.headers == ["姓名", "身份证号", "学校代码", "民族"]
    assert table.rows == [["张三", ID1, "4101001", "汉族"], ["李四", ID2, "4101002", "回族"]]
    assert table.row_numbers == [2, 3]


# --- CSV ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(encoding):
    assert_two_rows(read_table(CSV_TEXT.encode(encoding), "export.csv"))


def test_gbk_rare_character_via_gb18030():
    # 䶮 is outside GBK; gb18030 (a superset) must still read it.
    data = f"姓名,身份证号,学校代码\n刘䶮,{ID1},1\n".encode("gb18030")
    assert read_table(data, "x.csv").rows[0][0] == "刘䶮"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiters(delimiter):
    data = CSV_TEXT.replace(",", delimiter).encode()
    assert_two_rows(read_table(data, "export.txt"))


def test_csv_strips_whitespace_skips_blank_rows_and_keeps_file_row_numbers():
    data = (f" 姓名 ; 身份证号 ;学校代码\r\n\r\n ; ;\r\n 张三 ;{ID1} ; 1 \r\n"
            f"\r\n\"王,五\";{ID2};2\r\n").encode()
    table = read_table(data, "x.csv")
    assert table.headers == ["姓名", "身份证号", "学校代码"]
    assert table.rows == [["张三", ID1, "1"], ["王,五", ID2, "2"]]
    assert table.row_numbers == [4, 6]


# --- XLSX ---------------------------------------------------------------------------


def xlsx_bytes(rows, title="学籍"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_become_text():
    numeric_id = 110101200801011234
    data = xlsx_bytes([
        ["XM", "SFZH", "BYXXDM", "CSRQ", "MZDM"],
        ["张三", ID1, 4101001, date(2008, 3, 15), "01"],
        [None, None, None, None, None],
        ["李四", numeric_id, 4101002.0, datetime(2008, 11, 2), 3],
    ])
    table = read_table(data, "export.xlsx")
    assert table.headers == ["XM", "SFZH", "BYXXDM", "CSRQ", "MZDM"]
    assert table.row_numbers == [2, 4]
    assert table.rows[0] == ["张三", ID1, "4101001", "2008-03-15", "01"]
    li = table.rows[1]
    assert li[0] == "李四" and li[2] == "4101002" and li[3] == "2008-11-02" and li[4] == "3"
    # A numeric ID never shows an exponent or '.0'; the digits a double keeps are intact,
    # and the cell is flagged because the last ones may be lost.
    assert li[1].isdigit() and len(li[1]) == 18
    assert li[1][:16] == str(numeric_id)[:16]
    assert table.imprecise_cells == {(4, 1)}


def test_xlsx_reads_first_sheet_only():
    workbook = Workbook()
    workbook.active.append(["姓名"])
    workbook.active.append(["张三"])
    workbook.create_sheet("other").append(["不是这个"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue(), "a.xlsx").rows == [["张三"]]


# --- header mapping -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    ["姓名", "身份证号", "学校代码", "性别", "出生日期", "联系电话"],
    [" Name ", "ID_NUMBER", "School_Code", "gender", "birth_date", "phone"],
    ["XM", "ZJHM", "BYXXDM", "XBDM", "CSRQ", "LXSJ"],
    ["*考生姓名", "身份证件号", "学校标识码", "XB", "csrq", "手机号码"],
])
def test_auto_mapping_recognises_chinese_english_and_codes(headers):
    mapping = auto_mapping(headers)
    assert mapping == {"name": 0, "id_number": 1, "school_code": 2, "gender": 3,
                       "birth_date": 4, "phone": 5}
    assert missing_required(mapping) == []


def test_auto_mapping_first_column_wins_and_unknown_ignored():
    assert auto_mapping(["序号", "姓名", "XM"]) == {"name": 1}


def test_auto_mapping_recognises_number_class_and_exam_fields_per_kind():
    headers = ["姓名", "KSH", "BJ", "科类", "WYYZDM", "文化程度", "XXXSDM", "备注"]
    assert auto_mapping(headers) == {
        "name": 0, "candidate_number": 1, "class_name": 2, "subject_track": 3,
        "foreign_language": 4, "education_level": 5, "study_form": 6, "remark": 7}
    assert auto_mapping(headers, "gaokao") == {
        "name": 0, "candidate_number": 1, "class_name": 2, "subject_track": 3,
        "foreign_language": 4}
    assert auto_mapping(headers, "adult") == {  # 外语语种 is 成人高考's too
        "name": 0, "candidate_number": 1, "class_name": 2, "foreign_language": 4,
        "education_level": 5, "study_form": 6, "remark": 7}
    assert auto_mapping(headers, "zhongzhao") == {"name": 0, "candidate_number": 1,
                                                  "class_name": 2}
    assert "remark" not in fields_for("zhongzhao") and "remark" in fields_for("adult")


def test_missing_required_columns():
    assert missing_required(auto_mapping(["姓名", "性别"])) == ["id_number", "school_code"]
    assert [f for f, (required, _) in FIELDS.items() if required] == [
        "name", "id_number", "school_code"]


def test_apply_mapping_yields_row_numbers_and_pads_short_rows():
    table = read_table(f"序号,姓名,身份证号,学校代码\nx,张三,{ID1},1\ny,李四\n".encode(), "a.csv")
    mapping = auto_mapping(table.headers)
    assert list(apply_mapping(table, mapping)) == [
        (2, {"name": "张三", "id_number": ID1, "school_code": "1"}),
        (3, {"name": "李四", "id_number": "", "school_code": ""}),
    ]


# --- errors -------------------------------------------------------------------------


def error_code(data, filename="upload.csv", **kw):
    with pytest.raises(RegistryFileError) as info:
        read_table(data, filename, **kw)
    assert str(info.value), "the message must render"
    return info.value.code


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo/0001.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("data,filename,code", [
    (b"", "a.csv", "empty"),
    (b"\n \n,,\n", "a.csv", "empty"),
    ("姓名,身份证号\n".encode(), "a.csv", "empty"),
    (xlsx_bytes([["姓名", "身份证号"]]), "a.xlsx", "empty"),
    (bytes(range(256)) * 8, "a.csv", "not_a_table"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a.pdf", "not_a_table"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "a.png", "not_a_table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "a.xls", "not_a_table"),
    (zip_bytes(), "a.xlsx", "not_a_table"),
    (b"PK\x03\x04 truncated", "a.xlsx", "not_a_table"),
    (f"{ID1},张三,1\n{ID2},李四,2\n".encode(), "a.csv", "no_header"),
    (b"1,2,3\n4,5,6\n", "a.csv", "no_header"),
])
def test_error_codes(data, filename, code):
    assert error_code(data, filename) == code


def test_xls_message_says_how_to_convert():
    with pytest.raises(RegistryFileError) as info:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "学籍.xls")
    assert ".xlsx" in str(info.value) and "CSV" in str(info.value)


def test_undecodable_text_is_not_a_table():
    # Valid in neither UTF-8 nor GB18030 (0x80 alone and 0xFF are never lead bytes).
    assert error_code("姓名\n张三\n".encode() + b"\x80\xff", "a.csv") == "not_a_table"


def test_too_many_rows():
    rows = "".join(f"考生{i},{ID1},1\n" for i in range(6))
    data = ("姓名,身份证号,学校代码\n" + rows).encode()
    assert error_code(data, max_rows=5) == "too_large"
    assert len(read_table(data, "a.csv", max_rows=6).rows) == 6
    xlsx = xlsx_bytes([["姓名"]] + [[f"考生{i}"] for i in range(6)])
    assert error_code(xlsx, "a.xlsx", max_rows=5) == "too_large"


# --- value normalisers --------------------------------------------------------------


@pytest.mark.parametrize("value,code", [
    ("男", "1"), ("女", "2"), ("1", "1"), ("2", "2"), ("m", "1"), (" F ", "2"), ("２", "2")])
def test_normalise_gender(value, code):
    assert normalise_gender(value) == code


@pytest.mark.parametrize("value", ["", "3", "未知", None])
def test_normalise_gender_rejects(value):
    with pytest.raises(InvalidValue) as info:
        normalise_gender(value)
    assert info.value.code == "gender_value"


@pytest.mark.parametrize("table,value,code", [
    (codes.ETHNICITIES, "01", "01"), (codes.ETHNICITIES, "1", "01"),
    (codes.ETHNICITIES, "汉族", "01"), (codes.ETHNICITIES, "汉", "01"),
    (codes.ETHNICITIES, "土", "30"), (codes.ETHNICITIES, "土家族", "15"),
    (codes.ETHNICITIES, "han", "01"),
    (codes.POLITICAL_STATUS, "共青团员", "03"), (codes.POLITICAL_STATUS, "群众", "13"),
    (codes.POLITICAL_STATUS, "中国共产主义青年团团员", "03"),
])
def test_normalise_code(table, value, code):
    assert normalise_code(table, value) == code


def test_normalise_code_rejects_with_field_label():
    with pytest.raises(InvalidValue) as info:
        normalise_code(codes.ETHNICITIES, "火星族", label="民族")
    assert info.value.code == "code_value"
    assert "民族" in str(info.value) and "火星族" in str(info.value)
    with pytest.raises(InvalidValue) as info:
        normalise_code(codes.ETHNICITIES, "99")
    assert info.value.code == "code_value"


@pytest.mark.parametrize("value", [
    "2008-03-05", "2008/3/5", "20080305", "2008年3月5日", "2008.03.05", "2008-03-05 00:00:00",
    " ２００８-03-05 ", date(2008, 3, 5), datetime(2008, 3, 5, 0, 0)])
def test_normalise_date(value):
    assert normalise_date(value) == date(2008, 3, 5)


@pytest.mark.parametrize("value", ["", "2008-02-30", "08-03-05", "2008年13月1日", "abc", None])
def test_normalise_date_rejects(value):
    with pytest.raises(InvalidValue) as info:
        normalise_date(value)
    assert info.value.code == "date_format"
