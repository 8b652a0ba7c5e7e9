"""URL walk tables of the 高考 报名信息 and the electronic archive (app/gaokao/registration_*,
archive_views.py; issue 17 part 1, the archive page and its completeness report): each side's
candidate carries a registration (its recorder named with the side's marker), and the report,
its drill-down and exports take the side's unit."""
import datetime as dt
from decimal import Decimal

from app.gaokao.registration_models import GaokaoRegistration

MODEL_KINDS = {"GaokaoRegistration": "gaokao_registration"}
QUERIES = {
    "GaokaoArchiveView.report": "node={node}",
    "GaokaoArchiveView.report_csv": "node={node}",
    "GaokaoArchiveView.incomplete": "node={node}",
    "GaokaoArchiveView.incomplete_csv": "node={node}",
}


def objects(ctx):
    # Stored directly on the walk's (中招) candidate: the screens would refuse it, the walk
    # only fetches the row by id.
    county = ctx.county.code
    return {"gaokao_registration": GaokaoRegistration(
        candidate=ctx.cand, exam_id=ctx.exam.id, registration_number=f"26{county}999999",
        graduation_kind="1", exam_type="1", hukou_type="1", school_code=ctx.school.code,
        application_kind="1", fee_state="1", fee_amount=Decimal("120.00"),
        paid_at=dt.datetime(2025, 11, 10, 9), fee_recorded_by=ctx.mark)}
