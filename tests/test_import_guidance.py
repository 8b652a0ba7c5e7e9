"""Registry import guidance through HTTP: the accepted headers on the upload page, the XLSX
template, a school importing its own pupils without a 学校代码 column, and the rejected rows
shown on the result page."""
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import GAOKAO, ZHONGZHAO
from app.extensions import db
from helpers import csv_bytes, idn, run_import, upload_registry

NO_SCHOOL_HEADER = ["姓名", "身份证号", "性别", "民族", "联系电话"]


def unit_of(app, id_number):
    """The unit code of the stored candidate with ``id_number`` (None if absent)."""
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one_or_none()
        return cand.node.code if cand is not None else None


def template(c, kind):
    resp = c.get(f"/registry-import/template.xlsx?kind={kind}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(resp.data)).active


def test_template_has_the_kinds_headers_and_text_number_columns(school_staff):
    sheet = template(school_staff, ZHONGZHAO)
    headers = [cell.value for cell in sheet[1]]
    assert {"姓名", "身份证号", "学校代码", "考生号", "联系电话"} <= set(headers)
    assert "科类" not in headers and "备注" not in headers  # 高考 / 成人高考 columns
    example = dict(zip(headers, (cell.value for cell in sheet[2])))
    assert isinstance(example["身份证号"], str) and len(example["身份证号"]) == 18
    assert example["学校代码"] == "41010201"  # the school's own code
    for name in ("身份证号", "考生号", "联系电话"):
        column = headers.index(name) + 1
        assert sheet.cell(row=2, column=column).number_format == "@"
        assert sheet.cell(row=50, column=column).number_format == "@"
    assert "科类" in [cell.value for cell in template(school_staff, GAOKAO)[1]]


def test_template_of_an_unknown_kind_is_not_found(school_staff):
    assert school_staff.get("/registry-import/template.xlsx?kind=nope").status_code == 404


def test_filled_template_imports(school_staff, app):
    sheet = template(school_staff, ZHONGZHAO)
    headers = [cell.value for cell in sheet[1]]
    pupil = idn(9, 219)
    sheet.append({headers.index("姓名") + 1: "模板生", headers.index("身份证号") + 1: pupil,
                  headers.index("学校代码") + 1: "41010201"})
    out = io.BytesIO()
    sheet.parent.save(out)
    _batch, status = run_import(school_staff, app, out.getvalue(), filename="模板.xlsx")
    assert status["status"] == "done" and status["rejected"] == 0
    assert unit_of(app, pupil) == "41010201"


def test_upload_page_lists_the_accepted_headers(school_staff):
    page = school_staff.get("/registry-import/").get_data(as_text=True)
    for spelling in ("身份证件号码", "ZJHM", "SFZH", "KSH", "BYXXDM", "学校标识码"):
        assert spelling in page
    assert "/registry-import/template.xlsx?kind=zhongzhao" in page


def test_school_file_without_school_column_imports_into_the_school(school_staff, app):
    pupil = idn(3, 211)
    data = csv_bytes([["无校码", pupil, "男", "汉族", "13800002222"]], header=NO_SCHOOL_HEADER)
    _batch, status = run_import(school_staff, app, data)
    assert (status["created"], status["rejected"]) == (1, 0)
    assert unit_of(app, pupil) == "41010201"


def test_point_file_without_school_column_imports_into_the_point(point_staff, app):
    pupil = idn(4, 213)
    data = csv_bytes([["报名点生", pupil, "男", "汉族", "13800002223"]], header=NO_SCHOOL_HEADER)
    _batch, status = run_import(point_staff, app, data)
    assert (status["created"], status["rejected"]) == (1, 0)
    assert unit_of(app, pupil) == "BM410102"


def test_county_file_still_needs_the_school_column(county_admin, app):
    data = csv_bytes([["县里生", idn(5, 215), "男", "汉族", "13800002224"]],
                     header=NO_SCHOOL_HEADER)
    batch_id = upload_registry(county_admin, app, data)
    resp = county_admin.post(f"/registry-import/{batch_id}/mapping",
                             {"col_name": "0", "col_id_number": "1"})
    assert resp.status_code == 200  # the mapping page again, no job started
    assert "请为以下必填字段指定列：学校/报名点代码" in resp.get_data(as_text=True)


def test_school_row_naming_another_countys_school_is_rejected(school_staff, app):
    other = idn(6, 217, "410103")
    data = csv_bytes([["外县生", other, "男", "41010301", "汉", "13800002225", ""]])
    _batch, status = run_import(school_staff, app, data)
    assert (status["created"], status["rejected"]) == (0, 1)
    assert unit_of(app, other) is None


def test_result_page_shows_the_rejected_rows(school_staff, app):
    good, bad_phone = idn(7, 221), idn(8, 223)
    data = csv_bytes([
        ["好学生", good, "男", "41010201", "汉", "13800002226", ""],
        ["错电话", bad_phone, "男", "41010201", "汉", "138", ""],
    ])
    batch_id, status = run_import(school_staff, app, data)
    assert status["rejected"] == 1
    page = school_staff.get(f"/registry-import/{batch_id}").get_data(as_text=True)
    table = page.split('id="rejected-rows"')[1].split("</table>")[0]
    assert "错电话" in table and bad_phone in table and "联系电话" in table
    assert "好学生" not in table
    assert f"/registry-import/{batch_id}/errors.csv" in page
