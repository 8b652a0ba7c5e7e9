"""URL walk of 体检 校对 / 确认 and the reports of confirmed results (gphys): the check list's
rows are the walk's physical records; a report per side, its return reason carrying the side's
marker, so another county's show page or list would show it."""
import datetime as dt

MODEL_KINDS = {"PhysicalReport": "physical_report"}
QUERIES = {"PhysicalReportView.submit": "exam={exam}"}


def objects(ctx):
    from app.gaokao.models import PhysicalReport

    return {"physical_report": PhysicalReport(
        node_id=ctx.county.id, exam_id=ctx.exam.id, state="returned", confirmed=0,
        snapshot={"states": {}, "conclusions": {}}, submitted_at=dt.datetime.now(),
        submitted_by_id=ctx.user.id, return_reason=ctx.mark)}
