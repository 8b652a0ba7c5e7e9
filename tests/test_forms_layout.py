"""Printed forms hold what the records hold (issue 12, items 3 and 4).

Rare characters: a name with a CJK Extension B character (𠈌, U+2020C, which wqy-zenhei
lacks) prints through a fallback font, embedded next to the main one; with no font for it
the print is refused with a message naming the character and the field.

Layout: every form, filled with the longest value each field accepts (column lengths of the
models, NAME_MAX of the validators, the longest label of each code table), keeps every word
inside the page and inside its table cell -- no word box crosses a ruling line of a table
(read from the PDF's drawing operators) or overlaps another word -- and prints each value
whole (wrapped lines reassembled in drawing order).
"""
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app import codes
from app.candidates.models import (Candidate, Guardian, Preference, QualityEvaluation,
                                   StudyHistory)
from app.validators import NAME_MAX
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.printing.models import AdmissionTicket
from app.printing.pdf import FALLBACK_CANDIDATES, FALLBACK_ENV
from app.printing.render import FORMS, forms_env
from app.gaokao import codes as gk_codes
from app.gaokao.models import PhysicalExam
from app.jurisdiction import SCHOOL, Node, make_path
from conftest import Client

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) not installed")

RARE = "\U0002020c"  # 𠈌, CJK Extension B
HANZI = "豫郑州中原建设路学院街道社区委员会科技实验高级中学附属第二分校龙凤麟鹏鑫淼"


def text(n, seed=0, alphabet=HANZI):
    """``n`` varied characters (varied, so a reassembled value cannot match by chance)."""
    return "".join(alphabet[(seed * 7 + i * 5) % len(alphabet)] for i in range(n))


def digits(n, seed=1):
    return "".join(str((seed + i * 3) % 10) for i in range(n))


def longest(table):
    """The code of ``table`` whose printed label is longest."""
    return max(table, key=lambda row: len(row[1]))[0]


def long_name(seed):
    """A NAME_MAX-character minority name with the middle dot, as the validator allows."""
    half = NAME_MAX // 2
    return text(half - 1, seed) + "·" + text(NAME_MAX - half, seed + 1)


# --- data ------------------------------------------------------------------------------


def _candidate(exam, node, seed):
    kind = exam.kind
    c = Candidate(
        exam=exam, node=node, name=long_name(seed), gender="1",
        id_number=f"41010219900101{seed:03d}X",
        birth_date=dt.date(1990, 1, 1), ethnicity=longest(codes.ETHNICITIES),
        political_status=longest(codes.POLITICAL_STATUS), phone=digits(11, seed),
        address=text(200, seed), postcode=digits(6, seed), hukou="410102",
        student_number=digits(30, seed), candidate_number=f"{seed:02d}{digits(18, seed)}",
        class_name=text(30, seed), category=longest(codes.CANDIDATE_CATEGORIES[kind]),
        subject_track=longest(codes.SUBJECT_TRACKS),
        foreign_language=longest(codes.FOREIGN_LANGUAGES), graduation_school=text(100, seed),
        education_level=longest(codes.EDUCATION_LEVELS), occupation=longest(codes.OCCUPATIONS),
        work_start=dt.date(2010, 1, 1), remark=text(200, seed),
        candidate_feature=longest(codes.ADULT_FEATURES),
        enrolment_type=longest(codes.ENROLMENT_TYPES), graduation_date=dt.date(2008, 7, 1),
        diploma_number=digits(40, seed), medical_license=digits(40, seed + 1))
    c.guardians = [Guardian(name=long_name(seed + g), relation=longest(codes.GUARDIAN_RELATIONS),
                            phone=digits(11, g), work_unit=text(100, seed + g)) for g in range(3)]
    c.studies = [StudyHistory(start=dt.date(2000 + s, 9, 1), end=dt.date(2003 + s, 7, 1),
                              school=text(100, seed + s), role=text(50, seed + s))
                 for s in range(3)]
    c.evaluation = QualityEvaluation(**{k: "A" for k in (
        "morality", "citizenship", "learning", "cooperation", "health", "aesthetics")})
    return c


def _preferences(seed):
    return [Preference(seq=i, level=longest(codes.CANDIDATE_CATEGORIES[ADULT]),
                       track=longest(codes.ADULT_TRACKS),
                       major_category=longest(codes.ADULT_MAJOR_CATEGORIES),
                       study_form=longest(codes.STUDY_FORMS), school_code=digits(10, i),
                       school_name=text(100, seed + i), major_code=digits(10, i + 1),
                       major_name=text(100, seed + i + 1), duration=digits(10, i), adjust=True)
            for i in range(1, 7)]


def _physical(candidate_id, seed):
    long_text = {col: text(100, seed + n) for n, col in enumerate((
        "eye_disease", "heart", "lungs", "abdomen", "nervous", "skin", "spine", "limbs", "ent",
        "lips_palate", "teeth", "chest_xray"))}
    return PhysicalExam(
        candidate_id=candidate_id, serial=digits(20), hospital=text(100, seed),
        exam_date=dt.date(2026, 3, 1), history=text(200, seed), vision_naked_right=4.0,
        vision_naked_left=4.0,
        vision_corrected_right=5.0, vision_corrected_left=5.0, lens_right=-1000,
        lens_left=-1000, colour_vision=longest(gk_codes.COLOUR_VISION), bp_systolic=180,
        bp_diastolic=120, height=199.9, weight=150.5, hearing_right=5.0, hearing_left=5.0,
        smell=longest(gk_codes.SMELL), alt=1000, other=text(200, seed + 3),
        conclusion=longest(gk_codes.CONCLUSIONS),
        restrictions=",".join(r[0] for r in gk_codes.RESTRICTIONS)[:60],
        doctor=text(40, seed), state="confirmed",  # results print once confirmed
        confirmed_at=dt.datetime(2026, 3, 2, 10, 0), **long_text)


def prepare(app):
    """A school with a 100-character name, exams with 100-character names, and candidates
    of each exam kind with every field at its longest."""
    county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one()
    school = Node(code="LAYOUT01", name=text(100, 9), kind=SCHOOL, parent=county,
                  path=make_path(county, "LAYOUT01"), active=True)
    db.session.add(school)
    exams = {kind: Exam(kind=kind, year=2099, name=text(100, n), active=True)
             for n, kind in enumerate((ZHONGZHAO, GAOKAO, ADULT))}
    db.session.add_all(exams.values())
    for n, exam in enumerate(exams.values()):
        c = _candidate(exam, school, 10 + n)
        c.preferences = _preferences(n)
        db.session.add(c)
        db.session.flush()
        db.session.add(_physical(c.id, n))
        if exam.kind == ADULT:  # the 成人高考 考生登记表 is printed for admitted candidates only
            from app.adult.result_models import AdultAdmission, AdultScore
            db.session.add(AdultAdmission(
                candidate_id=c.id, institution_code=digits(10, n),
                institution_name=text(100, n + 3), major_code=digits(10, n + 1),
                major_name=text(100, n + 4), level="01", study_form="3",
                admitted_on=dt.date(2026, 12, 1)))
            db.session.add(AdultScore(candidate_id=c.id, paper_group="01-2", chinese=150,
                                      mathematics=150, foreign_language=150, combined=150,
                                      feature=50, total=600, archive_score=650))
        db.session.add(AdmissionTicket(
            candidate_id=c.id, ticket_number=digits(30, n), site=text(200, n),
            room=digits(20, n), seat=digits(10, n),
            timetable=[{"subject": text(20, i), "start": "2026-06-07 09:00",
                        "end": "2026-06-07 11:30"} for i in range(6)]))
    rare = _candidate(exams[ZHONGZHAO], county_school(), 40)
    rare.name = "王" + RARE
    db.session.add(rare)


def county_school():
    return db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()


@pytest.fixture(scope="module")
def layout_app(module_app):
    with module_app("layout", prepare) as app:
        yield app


@pytest.fixture
def staff(layout_app):
    client = Client(layout_app)
    resp = client.login("henan_admin")  # the province prints the 成人高考 考生登记表
    assert resp.status_code == 302 and "/login" not in resp.location
    return client


def candidate_id(app, kind=None, name=None):
    with app.app_context():
        stmt = select(Candidate.id).join(Exam).join(Node, Candidate.node_id == Node.id)
        stmt = stmt.where(Candidate.name == name) if name else stmt.where(
            Exam.kind == kind, Exam.year == 2099, Node.code == "LAYOUT01")
        return db.session.execute(stmt).scalar_one()


# --- reading the PDF ---------------------------------------------------------------------


def run(args, pdf):
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout


def flat(s):
    return "".join(str(s).split())


def drawn_text(pdf):
    """The text in drawing order, whitespace removed: wrapped values come back whole."""
    return flat(run(["pdftotext", "-raw", "-", "-"], pdf).decode())


def base_fonts(pdf):
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def word_boxes(pdf):
    """Per page: (width, height, [(text, x0, y0, x1, y1)]) in PDF units, y upwards."""
    root = ET.fromstring(run(["pdftotext", "-bbox-layout", "-", "-"], pdf))
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        w, h = float(page.get("width")), float(page.get("height"))
        words = [(el.text or "", float(el.get("xMin")), h - float(el.get("yMax")),
                  float(el.get("xMax")), h - float(el.get("yMin")))
                 for el in page.iter("{http://www.w3.org/1999/xhtml}word")]
        pages.append((w, h, words))
    return pages


def _mul(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def ruling_lines(page):
    """The stroked straight segments of a page (table rules), in page coordinates."""
    ctm, stack, path, lines = (1, 0, 0, 1, 0, 0), [], [], []
    point = None

    def at(x, y):
        a, b, c, d, e, f = ctm
        return (a * x + c * y + e, b * x + d * y + f)

    for operands, op in page.get_contents().operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)
        elif op == b"m":
            point = at(*map(float, operands))
        elif op == b"l":
            end = at(*map(float, operands))
            path.append((point, end))
            point = end
        elif op in (b"S", b"s"):
            lines += path
            path = []
        elif op in (b"n", b"f", b"f*", b"B", b"b", b"W"):
            path = []
    return lines


def crossings(word, lines, tol=1.0):
    """The ruling lines passing through the inside of a word's box."""
    _, x0, y0, x1, y1 = word
    hits = []
    for (ax, ay), (bx, by) in lines:
        if abs(ax - bx) < 0.1:  # vertical
            lo, hi = sorted((ay, by))
            if x0 + tol < ax < x1 - tol and min(hi, y1) - max(lo, y0) > tol:
                hits.append(((ax, ay), (bx, by)))
        elif abs(ay - by) < 0.1:  # horizontal
            lo, hi = sorted((ax, bx))
            if y0 + 2 * tol < ay < y1 - 2 * tol and min(hi, x1) - max(lo, x0) > tol:
                hits.append(((ax, ay), (bx, by)))
    return hits


def overlaps(a, b, tol=0.5):
    return (min(a[3], b[3]) - max(a[1], b[1]) > tol and min(a[4], b[4]) - max(a[2], b[2]) > tol)


TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "templates" / "forms"
LABEL_RE = re.compile(r'<t[hd] class="label[^"]*"[^>]*>([^<{]+)</t[hd]>')
#: The signature lines (``sign_row("县市区招生办盖章")``): a label wrapped there reads "县市区招
#: 生办盖章：" (it did on the 考生志愿表).
SIGN_RE = re.compile(r'sign_row\("([^"]+)"\)')


def broken_labels(kind, pdf):
    """The template's cell labels printed in this form (its exam kind's branch) but not on
    one line: a label column too narrow for its longest label."""
    drawn = drawn_text(pdf)
    words = [w[0] for _, _, page in word_boxes(pdf) for w in page]
    source = (TEMPLATES / FORMS[kind].template.split("/")[-1]).read_text()
    labels = set(LABEL_RE.findall(source)) | {f"{s}：" for s in SIGN_RE.findall(source)}
    return [label for label in labels
            if flat(label) in drawn and not any(flat(label) in w for w in words)]


MARGIN = 0.8 / 2.54 * 72  # 0.8 cm: half the forms' side margins, below the footer


def layout_problems(pdf):
    """Words off the page (or in its outer margin), words crossing a table rule, words
    printed over each other."""
    problems = []
    reader = PdfReader(io.BytesIO(pdf))
    for n, (page, (w, h, words)) in enumerate(zip(reader.pages, word_boxes(pdf)), 1):
        media = [float(v) for v in page.mediabox]
        assert (media[2] - media[0], media[3] - media[1]) == pytest.approx((w, h), abs=1)
        box = [media[0] + MARGIN, media[1] + MARGIN, media[2] - MARGIN, media[3] - MARGIN]
        lines = ruling_lines(page)
        for i, word in enumerate(words):
            _, x0, y0, x1, y1 = word
            if x0 < box[0] or y0 < box[1] or x1 > box[2] or y1 > box[3]:
                problems.append(f"p{n} off the page: {word}")
            if crossings(word, lines):
                problems.append(f"p{n} crosses a cell border: {word}")
            problems += [f"p{n} overprints: {word} / {other}" for other in words[i + 1:]
                         if overlaps(word, other)]
    return problems


# --- rare characters -----------------------------------------------------------------------


@pytest.mark.skipif(not any(os.path.exists(p) for p in FALLBACK_CANDIDATES),
                    reason="fonts-hanazono is not installed (system_packages.sh installs it)")
def test_extension_b_name_prints_with_the_fallback_font(layout_app, staff):
    cid = candidate_id(layout_app, name="王" + RARE)
    resp = staff.get(f"/print/registration/{cid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.data
    assert "王" + RARE in drawn_text(pdf)
    fonts = base_fonts(pdf)
    assert any("WenQuanYi" in f for f in fonts), fonts
    assert any("HanaMin" in f for f in fonts), fonts


def test_extension_b_name_is_refused_without_a_fallback_font(layout_app, staff, monkeypatch):
    monkeypatch.setitem(layout_app.config, FALLBACK_ENV, "")  # only wqy-zenhei installed
    cid = candidate_id(layout_app, name="王" + RARE)
    resp = staff.get(f"/print/registration/{cid}.pdf")
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert RARE in page and "U+2020C" in page
    assert "姓名" in page  # the field, in the UI language (zh)


def test_a_missing_fallback_font_file_is_ignored_not_fatal(layout_app, staff, monkeypatch):
    monkeypatch.setitem(layout_app.config, FALLBACK_ENV, "/nonexistent/HanaMinB.ttf")
    cid = candidate_id(layout_app, ZHONGZHAO)
    resp = staff.get(f"/print/registration/{cid}.pdf")
    assert resp.status_code == 200
    assert flat(long_name(10)) in drawn_text(resp.data)


# --- layout ------------------------------------------------------------------------------


def expected_values(app, kind, cid):
    """The values a form must print whole."""
    with app.app_context():
        c = db.session.get(Candidate, cid)
        values = [c.name, c.node.name, c.exam.name]
        if kind == "admitted" and c.exam.kind == ADULT:
            values += [c.address, c.id_number, c.phone, c.graduation_school, c.diploma_number,
                       c.medical_license, c.remark, c.candidate_number]
            values += [p.school_name for p in c.preferences] + \
                [p.major_name for p in c.preferences]
        elif kind in ("registration", "admitted"):
            values += [c.address, c.id_number, c.phone]
            values += [g.name for g in c.guardians] + [g.work_unit for g in c.guardians]
            values += [s.school for s in c.studies] + [s.role for s in c.studies]
        if kind == "registration":
            values += [c.postcode, c.student_number, c.graduation_school
                       if c.exam.kind in (GAOKAO, ADULT) else ""]
            if c.exam.kind == ADULT:  # the 基本信息 the notice lists (issue 18.1)
                values += [c.diploma_number, c.medical_license]
        if kind == "preferences":
            values += [p.school_name for p in c.preferences] + [p.major_name for p in c.preferences]
        if kind == "ticket":
            t = db.session.execute(select(AdmissionTicket).where(
                AdmissionTicket.candidate_id == cid)).scalar_one()
            values += [t.ticket_number, t.site, t.room, t.seat]
        if kind == "physical":
            p = db.session.execute(select(PhysicalExam).where(
                PhysicalExam.candidate_id == cid)).scalar_one()
            values += [p.hospital, p.history, p.doctor, p.heart, p.other]
        return [v for v in values if v]


CASES = [(kind, exam) for kind in FORMS if FORMS[kind].needs_candidate
         for exam in (ZHONGZHAO, GAOKAO, ADULT)
         if FORMS[kind].exam_kinds is None or exam in FORMS[kind].exam_kinds]


@pytest.mark.parametrize("kind,exam", CASES)
def test_longest_values_stay_in_their_cells(layout_app, staff, kind, exam, tmp_path):
    cid = candidate_id(layout_app, exam)
    resp = staff.get(f"/print/{kind}/{cid}.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    drawn = drawn_text(resp.data)
    missing = [v for v in expected_values(layout_app, kind, cid) if flat(v) not in drawn]
    assert not missing, [v[:30] for v in missing]
    problems = layout_problems(resp.data)
    assert not problems, problems[:6]
    assert not broken_labels(kind, resp.data)


def test_publicity_holds_the_longest_names(layout_app, staff):
    with layout_app.app_context():
        school = db.session.execute(select(Node).where(Node.code == "LAYOUT01")).scalar_one()
        rows = db.session.execute(select(Candidate.name, Candidate.exam_id).where(
            Candidate.node_id == school.id)).all()
    for name, exam_id in rows:
        resp = staff.get(f"/print/publicity/{school.id}.pdf?exam={exam_id}")
        assert resp.status_code == 200
        drawn = drawn_text(resp.data)
        assert flat(name) in drawn and flat(school.name) in drawn
        assert not layout_problems(resp.data)


def test_blank_draft_stays_in_its_cells(staff):
    resp = staff.get("/print/draft.pdf")
    assert resp.status_code == 200
    assert "考生信息采集草表" in drawn_text(resp.data)
    assert not layout_problems(resp.data)


def test_sample_form_holds_the_longest_values(layout_app):
    from app.printing.pdf import render_pdf

    values = dict(name=long_name(3), gender="男", ethnicity="柯尔克孜族", birth_date="2008-05-01",
                  id_number="11010519491231002X", school=text(100, 4), phone=digits(11),
                  exam_type=text(20, 5))
    with layout_app.app_context():
        html = forms_env().get_template("forms/sample.html").render(
            c=values, photo_src=None, exam_name=text(100, 6), generated_at="2026-01-01 10:00",
            verification_code="ABCD-EFGH-IJKL")
    pdf = render_pdf(html)
    drawn = drawn_text(pdf)
    assert all(flat(v) in drawn for v in values.values())
    assert not layout_problems(pdf)
