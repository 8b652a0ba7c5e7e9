"""URL walk of the 高考 优惠 / 专项 screens (gbonus): a claim of each part per side, its note
carrying the side's marker, so another county's show page or list would show it."""
import datetime as dt

MODEL_KINDS = {"BonusClaim": "gaokao_minority"}
_VIEWS = {"MinorityClaimView": "gaokao_minority", "PolicyClaimView": "gaokao_policy",
          "SpecialClaimView": "gaokao_special"}
ENDPOINT_ARGS = {
    **{(f"{view}.{route}", "pk"): kind for view, kind in _VIEWS.items()
       for route in ("show", "scan", "step")},
    ("selfservice.gaokao_form", "kind"): "=minority",
}


def objects(ctx):
    from app import filestore
    from app.gaokao.bonus_models import BonusClaim
    from app.gaokao.bonus_rules import SCANS

    def made(part, policy, state):
        scan = filestore.put(f"{SCANS}/walk-{ctx.side}-{policy}.pdf", b"%PDF-1.4\n%%EOF\n")
        return BonusClaim(candidate_id=ctx.cand.id, part=part, policy=policy, state=state,
                          points=5, note=ctx.mark, created_on=dt.datetime.now(), scan=scan,
                          scan_type="application/pdf", scan_name="walk.pdf")

    return {"gaokao_minority": made("minority", "MZ", "submitted"),
            "gaokao_policy": made("policy", "LS", "entered"),
            "gaokao_special": made("special", "NC", "submitted")}
