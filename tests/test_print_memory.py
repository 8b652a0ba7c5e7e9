"""Batch printing's memory does not grow with the batch (issue 14): the merge writes one part
at a time into the output file and drops it (pypdf's PdfWriter held every page object of every
part: a batch of 2,025 forms had its merging worker at 947 MB), and the batch job opens one
stored part at a time."""
import io
import tempfile
import tracemalloc

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app import filestore
from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.printing import tasks
from app.printing.pdf import merge_pdfs, page_count, register_cjk_font, render_pdf


@pytest.fixture(scope="module")
def form_part():
    """A one-page PDF with an embedded CJK font subset, like each printed form."""
    register_cjk_font()
    return render_pdf('<p style="font-family: KsCJK">'
                      + "报名登记表 张三丰 身份证号 考生签字 监护人签字 " * 20 + "</p>")


def merge_peak(part, count):
    """Peak Python memory (bytes) of merging ``count`` copies of ``part`` into a file."""
    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        try:
            merge_pdfs((part for _ in range(count)), out)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out.seek(0)
        assert page_count(out.read()) == count
    return peak


def test_merge_memory_does_not_grow_with_the_number_of_parts(form_part):
    few, many = merge_peak(form_part, 10), merge_peak(form_part, 200)
    # Measured: ~86 KiB for 10 parts, ~110 KiB for 200 (what stays is 8 bytes per object
    # written). The PdfWriter merge: ~1 MiB for 10, ~17 MiB for 200.
    assert many < few + 128 * 1024, (few, many)
    assert many < 1024 * 1024, many


def test_merged_document_keeps_every_page_in_order(form_part):
    numbered = [render_pdf(f"<p>part {i}</p><pdf:nextpage /><p>part {i} page 2</p>")
                for i in range(3)]
    merged = merge_pdfs([numbered[0], form_part, numbered[1], numbered[2]])
    reader = PdfReader(io.BytesIO(merged), strict=True)
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 7
    assert [t.strip() for i, t in enumerate(texts) if i != 2] == [
        "part 0", "part 0 page 2", "part 1", "part 1 page 2", "part 2", "part 2 page 2"]
    assert reader.pages[2]["/Resources"]["/Font"]  # the form's own font subset came along
    assert merge_pdfs([]) and page_count(merge_pdfs([])) == 0


class Tracked:
    """A stored file that counts how many are open at once."""

    def __init__(self, fh, state):
        self.fh, self.state, self.closed_here = fh, state, False
        state["open"] += 1
        state["most"] = max(state["most"], state["open"])

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if not self.closed_here:
            self.closed_here = True
            self.state["open"] -= 1
        self.fh.close()


def test_batch_merge_opens_one_part_at_a_time(app, login, run_jobs, monkeypatch):
    with app.app_context():
        ids = db.session.execute(
            select(Candidate.id).join(Node).join(Exam, Candidate.exam_id == Exam.id)
            .where(Node.code == "41010202", Exam.kind == ZHONGZHAO)
            .order_by(Candidate.id).limit(4)).scalars().all()
        exam_id = db.session.get(Candidate, ids[0]).exam_id
    assert len(ids) == 4
    monkeypatch.setattr(tasks, "PART_SIZE", 1)  # four parts to merge
    state, real_open = {"open": 0, "most": 0}, filestore.open_file
    monkeypatch.setattr(filestore, "open_file", lambda ref: Tracked(real_open(ref), state))
    admin = login("zy_admin")
    admin.refresh_token("/print/batch")
    resp = admin.post("/print/batch", {"kind": "physical", "exam": exam_id,
                                       "ids": ",".join(map(str, ids))})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = admin.get(f"/print/batch/{batch_id}/status").get_json()
    assert status["status"] == "done" and status["pages"] == 4, status
    pdf = admin.get(status["result_url"])
    assert pdf.status_code == 200 and page_count(pdf.data) == 4
    assert state["most"] == 1 and state["open"] == 0, state
