"""报考须知 (app/exams/notice_views.py): one published notice per side, for its county."""
MODEL_KINDS = {"Notice": "notice"}
ENDPOINT_ARGS = {("selfservice.public_notice", "pk"): "notice"}
PUBLIC = {"selfservice.public_notices", "selfservice.public_notice"}


def objects(ctx):
    from app.exams.notices import Notice

    return {"notice": Notice(exam_id=ctx.exam.id, node=ctx.county, title=ctx.mark + "须知",
                             body=ctx.mark, published=False)}
