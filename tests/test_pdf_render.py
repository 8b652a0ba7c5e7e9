"""PDF forms: Chinese must really render (font embedded, text extractable),
resources must be confined, and batch/verification helpers must hold."""
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader
from PIL import Image
from pypdf import PdfReader

from app.printing.pdf import (
    CID_FALLBACK,
    PdfRenderError,
    merge_pdfs,
    page_count,
    register_cjk_font,
    render_pdf,
    verification_code,
    verify_code,
)
from app.printing.render import FORMS

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE = dict(
    name="张三丰", gender="男", ethnicity="汉族", birth_date="2008-05-01",
    id_number="110101200805011234", school="武当山中学", phone="13800138000",
    exam_type="普通类",
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)


def jpeg(size=(300, 420), color=(40, 120, 200)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def sample_html(photo_src="mem:photo"):
    env = Environment(loader=FileSystemLoader(str(ROOT / "app/templates")), autoescape=True)
    return env.get_template("forms/sample.html").render(
        c=CANDIDATE, photo_src=photo_src, exam_name="2025年招生考试",
        generated_at="2025-06-01 10:00",
        verification_code=verification_code("signup", 7, 2, b"test-secret"),
    )


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def base_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def image_sizes(pdf: bytes) -> list[tuple[int, int]]:
    return [
        im.image.size for page in PdfReader(io.BytesIO(pdf)).pages for im in page.images
    ]


@pytest.fixture(scope="module")
def sample_pdf():
    return render_pdf(sample_html(), images={"photo": jpeg()})


@needs_pdftotext
def test_chinese_text_extractable(sample_pdf):
    text = pdftotext(sample_pdf)
    for s in ("报名登记表", "张三丰", "身份证号", "考生签字", "监护人签字", "学校审核签章", "校验码"):
        assert s in text, s


def test_cjk_font_embedded(sample_pdf):
    font = register_cjk_font()
    names = base_fonts(sample_pdf)
    if font.is_ttf:
        from reportlab.pdfbase import pdfmetrics

        face = pdfmetrics.getFont(font.reportlab_name).face.name.decode()
        # Subset fonts are named like /AAAAAA+WenQuanYiZenHei-0.
        assert any(face in n for n in names), names
        assert b"/FontFile2" in sample_pdf  # the TrueType program itself
    else:
        assert f"/{CID_FALLBACK}" in names, names


@pytest.fixture(scope="module")
def fallback_result(tmp_path_factory):
    # Registration is once per process, so the fallback needs its own interpreter.
    out = tmp_path_factory.mktemp("fallback") / "fallback.pdf"
    script = (
        "import json, sys\n"
        "from tests.test_pdf_render import sample_html, jpeg\n"
        "from app.printing.pdf import render_pdf, register_cjk_font\n"
        f"open({str(out)!r}, 'wb').write(render_pdf(sample_html(), images={{'photo': jpeg()}}))\n"
        "print(json.dumps(register_cjk_font()._asdict()))\n"
    )
    env = dict(os.environ, KAOSHENG_CJK_FONT="/nonexistent/font.ttf", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), out.read_bytes()


def test_fallback_uses_stsong(fallback_result):
    font, pdf = fallback_result
    assert font["is_ttf"] is False and font["reportlab_name"] == CID_FALLBACK
    assert f"/{CID_FALLBACK}" in base_fonts(pdf)
    assert b"WenQuanYi" not in pdf


@needs_pdftotext
def test_fallback_text_extractable(fallback_result):
    text = pdftotext(fallback_result[1])
    assert "报名登记表" in text and "考生签字" in text and "张三丰" in text


def test_photo_embedded_as_image(sample_pdf):
    assert image_sizes(sample_pdf) == [(300, 420)]


def test_data_uri_photo():
    import base64

    uri = "data:image/jpeg;base64," + base64.b64encode(jpeg((120, 160))).decode()
    assert image_sizes(render_pdf(sample_html(uri))) == [(120, 160)]


def test_bad_in_memory_image_fails_loudly():
    with pytest.raises(PdfRenderError):
        render_pdf(sample_html(), images={"photo": b"not an image"})


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network disabled in test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


def test_refuses_remote_and_outside_files(tmp_path, no_network, caplog, monkeypatch):
    import app.printing.pdf as pdf_module

    # Alembic's fileConfig (run in-process by other tests) disables existing loggers.
    monkeypatch.setattr(pdf_module.log, "disabled", False)
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir(), outside.mkdir()
    (allowed / "seal.jpg").write_bytes(jpeg((50, 60)))
    secret = outside / "secret.jpg"
    secret.write_bytes(jpeg((70, 80)))
    (allowed / "link.jpg").symlink_to(secret)
    refused = [
        "http://example.com/a.jpg",
        "https://169.254.169.254/latest/meta-data/x.png",
        str(secret),
        f"file://{secret}",
        "../outside/secret.jpg",
        "link.jpg",
        "mem:unknown",
    ]
    html = "<html><body><p>测试</p>" + "".join(
        f'<img src="{src}">' for src in refused + ["seal.jpg"]
    ) + "</body></html>"

    with caplog.at_level("WARNING", logger="app.printing.pdf"):
        pdf = render_pdf(html, base_url=str(allowed))
    assert no_network == []
    assert image_sizes(pdf) == [(50, 60)]  # only the file inside base_url
    logged = caplog.text
    for src in refused:
        assert src.removeprefix("file://") in logged, src

    # Without base_url no local file is readable at all.
    assert image_sizes(render_pdf(html)) == []
    assert no_network == []


def test_merge_and_page_count(sample_pdf):
    two_pages = render_pdf("<p>第一页</p><pdf:nextpage /><p>第二页</p>")
    assert page_count(sample_pdf) == 1 and page_count(two_pages) == 2
    merged = merge_pdfs([sample_pdf, two_pages, sample_pdf])
    assert page_count(merged) == 4


def test_verification_code_round_trip_and_tamper():
    key = b"secret-key"
    code = verification_code("signup", 42, 3, key)
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", code)
    assert code == verification_code("signup", 42, 3, key)
    assert verify_code(code, "signup", 42, 3, key)
    assert verify_code(code.lower().replace("-", " "), "signup", 42, 3, key)
    assert not verify_code(code, "signup", 42, 4, key)  # record edited since printing
    assert not verify_code(code, "signup", 43, 3, key)
    assert not verify_code(code, "transfer", 42, 3, key)
    assert not verify_code(code, "signup", 42, 3, b"other-key")
    flipped = ("B" if code[0] != "B" else "C") + code[1:]
    assert not verify_code(flipped, "signup", 42, 3, key)
    assert not verify_code("", "signup", 42, 3, key)


needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="pdftoppm (poppler-utils) is not installed: cannot rasterise")


def raster_ink(pdf: bytes, folder: Path) -> tuple[float, float]:
    """Page 1 at 50 dpi: (grey-level standard deviation, share of dark pixels)."""
    from PIL import ImageStat

    (folder / "form.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "form.pdf", "page"],
                   cwd=folder, check=True, capture_output=True)
    page = Image.open(next(folder.glob("page*.png"))).convert("L")
    assert page.size[0] > 350 and page.size[1] > 500  # A4 at 50 dpi is 413×585
    dark = sum(page.histogram()[:128]) / (page.size[0] * page.size[1])
    return ImageStat.Stat(page).stddev[0], dark


@needs_pdftoppm
def test_rasterises(sample_pdf, tmp_path):
    stddev, dark = raster_ink(sample_pdf, tmp_path)
    assert stddev > 10 and dark > 0.003, (stddev, dark)
    # The measure itself: a page without ink has no variance.
    (tmp_path / "blank").mkdir()
    assert raster_ink(render_pdf("<p>&nbsp;</p>"), tmp_path / "blank") == (0.0, 0.0)


# --- the real forms: embedded CJK font and a page that rasterises to something ------------------

WQY_ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


@pytest.fixture(scope="module")
def real_forms(app):
    """Every form kind rendered for a demo candidate (with photo and ticket) of each kind."""
    import datetime as dt

    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.codes import ADULT, GAOKAO, ZHONGZHAO
    from app.exams.models import Exam
    from app.extensions import db
    from app.printing.models import AdmissionTicket
    from app.printing.render import render_form
    from app.jurisdiction import Node

    photo = jpeg((450, 600))
    pdfs = {}
    with app.test_request_context():
        node = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        zz = db.session.execute(select(Candidate).join(Exam).where(
            Exam.kind == ZHONGZHAO, Candidate.node_id == node.id).order_by(Candidate.id)
        ).scalars().first()
        adult = db.session.execute(select(Candidate).join(Exam).where(Exam.kind == ADULT)
                                   ).scalars().first()
        if adult is None:  # the demo has no adult candidate: a transient one renders the same
            adult = Candidate(id=0, name="成人考生", gender="1", id_number="11010519491231002X",
                              birth_date=dt.date(1949, 12, 31), node=node, version=1,
                              exam=db.session.execute(select(Exam).where(Exam.kind == ADULT)
                                                      ).scalars().first())
        ticket = AdmissionTicket(ticket_number="T0", site="考点", room="1", seat="1",
                                 timetable=[{"subject": "语文", "start": "2026-06-26 09:00",
                                             "end": "2026-06-26 11:00"}])
        gaokao = db.session.execute(select(Candidate).join(Exam).where(
            Exam.kind == GAOKAO).order_by(Candidate.id)).scalars().first()
        of_kind = {ZHONGZHAO: zz, ADULT: adult, GAOKAO: gaokao}
        for kind, spec in FORMS.items():
            if kind == "publicity":
                pdfs[kind] = render_form(kind, node=node, exam=zz.exam, candidates=[zz])
            elif kind == "draft":
                pdfs[kind] = render_form(kind)
            else:
                # A candidate of the first exam kind the form exists for (中招 when any).
                kinds = spec.exam_kinds or (ZHONGZHAO,)
                who = zz if ZHONGZHAO in kinds else of_kind[kinds[0]]
                pdfs[kind] = render_form(kind, who, photo=photo, ticket=ticket)
        db.session.rollback()
    return pdfs


@pytest.mark.parametrize("kind", list(FORMS))
def test_real_form_embeds_the_cjk_font(real_forms, kind):
    names = base_fonts(real_forms[kind])
    font = register_cjk_font()
    if os.path.isfile(WQY_ZENHEI) and not os.environ.get("KAOSHENG_CJK_FONT"):
        assert font.is_ttf and any("WenQuanYi" in n for n in names), names
        assert b"/FontFile2" in real_forms[kind]
    elif font.is_ttf:  # another configured TrueType font
        assert b"/FontFile2" in real_forms[kind], names
    else:
        assert f"/{CID_FALLBACK}" in names, names


@needs_pdftoppm
@pytest.mark.parametrize("kind", list(FORMS))
def test_real_form_rasterises_to_a_non_blank_page(real_forms, kind, tmp_path):
    stddev, dark = raster_ink(real_forms[kind], tmp_path)
    # A blank page has no variance (see test_rasterises); text and table rules give plenty.
    assert stddev > 10 and dark > 0.003, (stddev, dark)
