"""URL walk tables of the 成人高考 exam-site approval, 参考范围, room-allocation approval and
考务资料 job (app/adult/site_views.py, doc_views.py)."""

MODEL_KINDS = {"SiteRange": "site_range"}
ENDPOINT_ARGS = {
    ("ExamDocumentView.job", "run_id"): "exam_doc_run",
    ("ExamDocumentView.job_status", "run_id"): "exam_doc_run",
    ("ExamDocumentView.download", "run_id"): "exam_doc_run",
}
QUERIES = {
    "RoomAllocationView.index": "exam={exam}",
    "ExamDocumentView.index": "exam={exam}",
}


def objects(ctx):
    """A site of the side's county with a range pointing at it, and a finished documents
    run with its PDF in the file store."""
    from app import filestore
    from app.adult.exam_docs import DOCUMENTS
    from app.adult.models import ExamDocumentRun, ExamSite, SiteRange

    site = ExamSite(exam_id=ctx.exam.id, node=ctx.county, code="08", name=ctx.mark + "范围考点",
                    address=ctx.mark, rooms=1, state="approved")
    reference = filestore.put(f"{DOCUMENTS}/walk-{ctx.side}.pdf", b"%PDF-1.4\n%%EOF\n")
    return {
        "site_range": SiteRange(exam_id=ctx.exam.id, node=ctx.county, paper_group="",
                                site=site),
        "exam_doc_run": ExamDocumentRun(exam_id=ctx.exam.id, user_id=ctx.user.id,
                                        node_path=ctx.county.path, status="done",
                                        result_path=reference, result={"sites": 1}),
    }
