"""成人高考 现场确认 (app/adult/onsite_views.py): the routes name the candidate
(``candidate_id``, filled with the side's candidate); one on-site record per side, and the
list searched by the side's candidate name."""
MODEL_KINDS = {"AdultOnsite": "adult_onsite"}
QUERIES = {"AdultOnsiteView.index": "exam={exam}&q={candidate}"}


def objects(ctx):
    from app.adult.onsite_models import AdultOnsite

    return {"adult_onsite": AdultOnsite(candidate=ctx.cand, confirmed_by=ctx.mark)}
