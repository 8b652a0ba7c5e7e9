"""成人高考 免试入学 and 照顾加分 (app/adult/exemption_views.py): one application with a
stored scan and one bonus per side."""
MODEL_KINDS = {"AdultExemption": "adult_exemption", "AdultBonus": "adult_bonus"}


def objects(ctx):
    from app import filestore
    from app.adult.exemption import SCANS
    from app.adult.exemption_models import AdultBonus, AdultExemption

    ref = filestore.put(f"{SCANS}/walk-{ctx.side}.pdf", b"%PDF-1.4 walk scan")
    return {"adult_exemption": AdultExemption(candidate=ctx.cand, state="applied", kind="1",
                                              note=ctx.mark, scan_ref=ref,
                                              scan_name=ctx.mark + ".pdf",
                                              scan_type="application/pdf"),
            "adult_bonus": AdultBonus(candidate=ctx.cand, state="entered", kind="1", points=20,
                                      note=ctx.mark)}
