"""The staff candidate form follows the record's exam kind (issue 15, item 5): 考生类别 offers
the kind's categories only, 考试 offers active exams only, 户籍所在地 is picked by name and
shown by name, and list/show pages print timestamps to the minute."""
import csv
import datetime as dt
import io
import json
import re

from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.extensions import db
from app.phases.models import Phase, PhaseExtension
from app.validators import make_id_number
from factories import make_candidate
from helpers import exam_id, node_id, text

BIRTH = dt.date(2011, 4, 5)


def add_form(app, seq, **over):
    """A complete add form for a 2026 中招 candidate of 五十七中 with an ID number of its own."""
    data = {"exam": exam_id(app), "node": node_id(app, "41010201"), "name": "类别考生",
            "gender": "1", "id_number": make_id_number("410102", BIRTH, seq),
            "birth_date": BIRTH.isoformat(), "category": "zhongzhao:01"}
    data.update(over)
    return data


def stored(app, id_number):
    with app.app_context():
        return db.session.execute(select(Candidate).where(
            Candidate.id_number == id_number)).scalar_one_or_none()


def edit_form(app, cid, **over):
    with app.app_context():
        c = db.session.get(Candidate, cid)
        data = {"node": c.node_id, "name": c.name, "gender": c.gender,
                "id_number": c.id_number, "birth_date": c.birth_date.isoformat(),
                "category": c.category or ""}
    data.update(over)
    return data


def select_options(page, name):
    """(value, label) of the options of select ``name`` on ``page``."""
    body = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', body)


def add(client, data):
    client.refresh_token("/candidateview/add")
    return text(client.post("/candidateview/add", data, follow_redirects=True))


# --- 考生类别 follows the exam kind -----------------------------------------------------------

def test_add_form_groups_categories_by_exam_kind(school_staff):
    page = text(school_staff.get("/candidateview/add"))
    options = select_options(page, "category")
    labels = dict(options)
    assert labels["zhongzhao:01"] == "学籍户籍一致" and labels["gaokao:01"] == "普通高中应届"
    assert labels["adult:01"] == "高起本"
    # no option merges the kinds' names as before ("01 学籍户籍一致／普通高中应届／高起本")
    assert all("／" not in label for _value, label in options)
    groups = re.search(r'<select[^>]*name="category".*?</select>', page, re.S).group(0)
    assert all(f'label="{kind}"' in groups for kind in ("中招", "高考", "成人高考"))


def test_edit_form_offers_only_the_records_kind(school_staff, app):
    zk = make_candidate(app, kind=ZHONGZHAO, category="01")
    adult = make_candidate(app, kind=ADULT, category="02", birth=dt.date(1990, 1, 1))
    labels = [label for _v, label in select_options(
        text(school_staff.get(f"/candidateview/edit/{zk}")), "category")]
    assert "学籍户籍一致" in labels and "社会考生" in labels
    assert "普通高中应届" not in labels and "高起本" not in labels
    page = text(school_staff.get(f"/candidateview/edit/{adult}"))
    labels = [label for _v, label in select_options(page, "category")]
    assert "高起专" in labels and "学籍户籍一致" not in labels and "普通高中应届" not in labels
    assert ("02", "高起专") in select_options(page, "category")
    assert re.search(r'<option selected value="02">|<option value="02" selected', page)


def test_category_of_another_kind_is_refused_on_add(school_staff, app):
    data = add_form(app, 711, category="gaokao:01")
    page = add(school_staff, data)
    assert "“普通高中应届”是高考的考生类别，所选考试是中招考试。" in page
    assert stored(app, data["id_number"]) is None
    # a code the exam's kind lacks, sent plain (as the import spells it)
    data = add_form(app, 713, exam=exam_id(app, ADULT), category="05",
                    id_number=make_id_number("410102", dt.date(1990, 2, 3), 713),
                    birth_date="1990-02-03")
    page = add(school_staff, data)
    assert "本次考试没有该考生类别。" in page
    assert stored(app, data["id_number"]) is None


def test_category_of_the_exams_kind_is_stored_as_its_code(school_staff, app):
    data = add_form(app, 715, category="zhongzhao:03")
    add(school_staff, data)
    assert stored(app, data["id_number"]).category == "03"
    data = add_form(app, 717, category="02")  # a plain code of the kind is accepted too
    add(school_staff, data)
    assert stored(app, data["id_number"]).category == "02"


def test_category_of_another_kind_is_refused_on_edit(school_staff, app):
    cid = make_candidate(app, kind=ZHONGZHAO, category="01")
    school_staff.refresh_token(f"/candidateview/edit/{cid}")
    page = text(school_staff.post(f"/candidateview/edit/{cid}",
                                  edit_form(app, cid, category=f"{GAOKAO}:02"),
                                  follow_redirects=True))
    assert "“普通高中往届”是高考的考生类别，所选考试是中招考试。" in page
    with app.app_context():
        assert db.session.get(Candidate, cid).category == "01"


# --- 考试: active exams only, and never changed ----------------------------------------------

def test_add_form_offers_active_exams_only(school_staff, app):
    page = text(school_staff.get("/candidateview/add"))
    names = [label for _v, label in select_options(page, "exam")]
    assert "2026年河南省初中学业水平考试" in names and "2026年河南省成人高等学校招生考试" in names
    assert not any("2022年" in n or "湖南" in n for n in names)
    kinds = json.loads(re.search(r"data-exam-kinds=\"([^\"]*)\"", page).group(1)
                       .replace("&#34;", '"').replace("&quot;", '"'))
    assert kinds[str(exam_id(app, GAOKAO))] == GAOKAO


def test_forged_inactive_exam_is_refused(school_staff, app):
    data = add_form(app, 719, exam=exam_id(app, ZHONGZHAO, 2022))
    page = add(school_staff, data)
    assert "只能为启用中的考试添加考生" in page
    assert stored(app, data["id_number"]) is None
    data = add_form(app, 721, exam="987654")
    page = add(school_staff, data)
    assert "所选项不存在。" in page
    assert stored(app, data["id_number"]) is None


# --- 户籍所在地 by name -------------------------------------------------------------------------

def test_division_is_picked_by_name_stored_as_code_and_shown_by_name(school_staff, app):
    page = text(school_staff.get("/candidateview/add"))
    picker = re.search(r'<input[^>]*name="hukou"[^>]*>', page).group(0)
    assert "data-division-picker" in picker and "二七区" in picker and "郑州市" in picker
    assert "division_picker.js" in page and "candidate_form.js" in page
    data = add_form(app, 723, hukou="410103")
    add(school_staff, data)
    cand = stored(app, data["id_number"])
    assert cand.hukou == "410103"
    show = text(school_staff.get(f"/candidateview/show/{cand.id}"))
    assert "户籍所在地" in show and "河南省郑州市二七区" in show and "410103" not in show
    # a division outside the tree (another province) is typed as its code and shown as it
    school_staff.refresh_token(f"/candidateview/edit/{cand.id}")
    school_staff.post(f"/candidateview/edit/{cand.id}", edit_form(app, cand.id, hukou="370102"))
    assert stored(app, data["id_number"]).hukou == "370102"
    assert "370102" in text(school_staff.get(f"/candidateview/show/{cand.id}"))


def test_export_carries_the_code_and_the_name(county_admin, app):
    cid = make_candidate(app, hukou="410105")
    with app.app_context():
        number = db.session.get(Candidate, cid).id_number
    body = county_admin.get(f"/candidateview/export/csv?_flt_0_id_number={number}")
    rows = list(csv.reader(io.StringIO(text(body).lstrip("\ufeff"))))
    row = dict(zip(rows[0], rows[1]))
    assert row["户籍所在地"] == "410105" and row["户籍所在地名称"] == "河南省郑州市金水区"


def test_invalid_division_code_is_refused(school_staff, app):
    for seq, code, message in ((725, "991234", "行政区划代码开头的省份代码（99）无效"),
                               (727, "41010", "行政区划代码应为6位数字")):
        data = add_form(app, seq, hukou=code)
        page = add(school_staff, data)
        assert message in page
        assert stored(app, data["id_number"]) is None


# --- timestamps to the minute -------------------------------------------------------------------

def test_timestamps_are_shown_to_the_minute(province_admin, app):
    moment = dt.datetime(2026, 12, 3, 14, 5, 7, 123456)
    with app.app_context():
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == exam_id(app))).scalars().first()
        ext = PhaseExtension(phase_id=phase.id, node_id=node_id(app, "410100"), new_end=moment,
                             reason="分钟显示测试", created_on=moment)
        db.session.add(ext)
        db.session.commit()
        ext_id = ext.id
    for url in ("/phaseextensionview/list/?psize_PhaseExtensionView=100",
                f"/phaseextensionview/show/{ext_id}"):
        page = text(province_admin.get(url))
        assert "2026-12-03 14:05" in page, url
        assert "14:05:07" not in page and "123456" not in page, url
