"""证件审核 (app/candidates/document_views.py): one submitted check with a stored copy per side."""
MODEL_KINDS = {"DocumentCheck": "document_check"}


def objects(ctx):
    from app import filestore
    from app.candidates.documents import COPIES
    from app.candidates.models import DocumentCheck

    ref = filestore.put(f"{COPIES}/walk-{ctx.side}.pdf", b"%PDF-1.4 walk copy")
    return {"document_check": DocumentCheck(candidate=ctx.cand, state="pending", copy_ref=ref,
                                            copy_name=ctx.mark + ".pdf",
                                            copy_type="application/pdf", reason=ctx.mark)}
