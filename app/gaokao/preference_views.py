"""Staff screens of 高考 志愿 (seed 002 part 5): the province's batches with their windows
(PreferenceBatchView), who has not filled a batch (谨防漏报, with a streamed CSV export) and one
candidate's preferences (GaokaoPreferenceView). The password cards are in ``card_views``."""
import csv
import io

from flask import Response, abort, g, request, stream_with_context, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import DateTimeField
from wtforms.validators import DataRequired

from ..audit import log_event
from ..base_views import GuardedMixin, OfferedSelectField
from ..candidates.models import Candidate
from ..codes import GAOKAO
from ..exams.picker import active_exams, chosen_exam
from ..extensions import db
from ..jurisdiction import get_scoped_or_404, scoped
from ..phases.models import Phase
from ..refusals import BadInput
from . import preference_rules as rules
from .preference_models import PreferenceBatch

PAGE_SIZE = 50
#: the 漏报 list shows no page beyond this many rows (export the CSV for all of them)
MAX_PAGES = 200
BATCH_LABELS = {
    "exam": _l("Exam"), "code": _l("Batch code"), "name": _l("Batch name"),
    "seq": _l("Order"), "schools": _l("Institutions per candidate"),
    "majors": _l("Majors per institution"), "required": _l("Every candidate fills it"),
    "collection_of": _l("Collection round (征集志愿) of"), "window": _l("Filling window"),
    "start": _l("Window start (Beijing time)"), "end": _l("Window end (Beijing time)"),
}


def _regular_batches():
    """The batches a collection round may belong to (a handful per exam)."""
    return db.session.execute(select(PreferenceBatch).where(
        PreferenceBatch.collection_of_id.is_(None)).order_by(
        PreferenceBatch.exam_id, PreferenceBatch.seq)).scalars().all()


class PreferenceBatchView(GuardedMixin, ModelView):
    """志愿批次 of each 高考 exam, written by the province; the window is kept as a phase, so
    the calendar shows it and regions may be granted extensions (延时) on it."""

    datamodel = SQLAInterface(PreferenceBatch)
    list_title, show_title = _l("Preference batches"), _l("Preference batch")
    add_title, edit_title = _l("Add a preference batch"), _l("Edit preference batch")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    # A batch with preferences is never deleted (the window's phase would go with it).
    exclude_route_methods = {"download", "delete"}
    list_columns = ["exam", "seq", "code", "name", "schools", "majors", "required",
                    "collection_of", "window"]
    show_columns = list_columns
    add_columns = edit_columns = ["exam", "seq", "code", "name", "schools", "majors",
                                  "required", "collection_of", "start", "end"]
    search_columns = ["exam", "code", "name"]
    base_order = ("seq", "asc")
    label_columns = BATCH_LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "exam": [["kind", FilterEqual, GAOKAO]]}
    add_form_extra_fields = edit_form_extra_fields = {
        "collection_of": OfferedSelectField(
            _l("Collection round (征集志愿) of"), PreferenceBatch, _regular_batches,
            allow_blank=True, blank_text=_l("(not a collection round)")),
        "start": DateTimeField(_l("Window start (Beijing time)"), format="%Y-%m-%d %H:%M",
                               validators=[DataRequired()],
                               description=_l("For example 2026-06-27 08:00")),
        "end": DateTimeField(_l("Window end (Beijing time)"), format="%Y-%m-%d %H:%M",
                             validators=[DataRequired()]),
    }

    def prefill_form(self, form, pk):
        batch = db.session.get(PreferenceBatch, pk)
        if batch is not None and batch.phase is not None:
            form.start.data, form.end.data = batch.phase.start, batch.phase.end

    def guard(self, item, is_add):
        start, end = getattr(item, "start", None), getattr(item, "end", None)
        if item.exam is None or item.exam.kind != GAOKAO:
            raise BadInput(_l("Preference batches belong to a 高考 exam."))
        item.code = rules.normalise(item.code)
        if not rules.BATCH_CODE.match(item.code):
            raise BadInput(_l("A batch code is a letter, optionally followed by a letter or "
                              "digit (A, B1 …): candidate categories use digits."))
        if not 1 <= (item.schools or 0) <= rules.MAX_SCHOOLS:
            raise BadInput(_l("Institutions per candidate: 1 to %(n)d.", n=rules.MAX_SCHOOLS))
        if not 1 <= (item.majors or 0) <= rules.MAX_MAJORS:
            raise BadInput(_l("Majors per institution: 1 to %(n)d.", n=rules.MAX_MAJORS))
        if item.collection_of is not None and (
                item.collection_of.exam_id != item.exam.id or item.collection_of is item
                or item.collection_of.collection_of_id is not None):
            raise BadInput(_l("A collection round belongs to a batch of the same exam that is "
                              "not a collection round itself."))
        if start is None or end is None or end <= start:
            raise BadInput(_l("The end must be after the start."))
        clash = db.session.execute(select(PreferenceBatch.id).where(
            PreferenceBatch.exam_id == item.exam.id, PreferenceBatch.code == item.code,
            PreferenceBatch.id != (item.id or 0))).first()
        if clash:
            raise BadInput(_l("This exam has a batch with that code already."))
        phase = item.phase or Phase(activity=rules.ACTIVITY)
        phase.exam_id, phase.category = item.exam.id, item.code
        phase.name = f"{item.name}志愿填报"[:200]
        phase.start, phase.end = start, end
        item.phase = phase


class GaokaoPreferenceView(BaseView):
    """谨防漏报: per batch, the candidates of the user's subtree without effective preferences
    (paged, and a CSV of all of them); one candidate's preferences (the archive's link)."""

    route_base = "/gkprefs"
    class_permission_name = "GaokaoPreferenceView"
    base_permissions = ["can_list"]
    method_permission_name = {"missing": "list", "missing_csv": "list", "candidate": "list"}
    default_view = "missing"

    @expose("/missing")
    @has_access
    def missing(self):
        exams = active_exams(GAOKAO)
        exam = chosen_exam(request.args.get("exam"), GAOKAO, exams)
        batches = rules.batches_of(exam.id) if exam else []
        batch = next((b for b in batches if str(b.id) == request.args.get("batch")),
                     batches[0] if batches else None)
        rows, total, page, pages = [], 0, 1, 1
        if batch is not None:
            stmt = scoped(rules.missing_select(batch), Candidate, g.user.node)
            total = db.session.execute(select(func.count()).select_from(
                stmt.order_by(None).subquery())).scalar()
            pages = max(1, min(MAX_PAGES, -(-total // PAGE_SIZE)))
            page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
            rows = db.session.execute(stmt.order_by(Candidate.node_id, Candidate.id)
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
                                      ).scalars().all()
        return self.render_template("gaokao/pref_missing.html", exams=exams, exam=exam,
                                    batches=batches, batch=batch, rows=rows, total=total,
                                    page=page, pages=pages, page_size=PAGE_SIZE,
                                    capped=total > MAX_PAGES * PAGE_SIZE)

    @expose("/missing/<int:batch_id>.csv")
    @has_access
    def missing_csv(self, batch_id):
        batch = db.session.get(PreferenceBatch, batch_id)
        if batch is None:
            abort(404)
        node = g.user.node
        log_event("export", "ks_gk_batch", {"missing_preferences": batch.id,
                                            "unit": node.path}, row_id=batch.id)
        base = scoped(rules.missing_select(batch), Candidate, node)

        def generate():
            buf = io.StringIO()
            out = csv.writer(buf)
            out.writerow(["考生号", "姓名", "身份证号", "单位", "联系电话", "批次"])
            last = 0
            while True:
                chunk = db.session.execute(base.where(Candidate.id > last)
                                           .order_by(Candidate.id).limit(500)).scalars().all()
                if not chunk:
                    break
                for c in chunk:
                    out.writerow([c.candidate_number or "", c.name, c.id_number,
                                  c.node.name if c.node else "", c.phone or "", batch.name])
                last = chunk[-1].id
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
                db.session.expunge_all()
            yield buf.getvalue()

        headers = {"Content-Disposition":
                   f'attachment; filename="missing-preferences-{batch.id}.csv"'}
        return Response(stream_with_context(_bom(generate())), mimetype="text/csv",
                        headers=headers)

    @expose("/candidate/<int:candidate_id>")
    @has_access
    def candidate(self, candidate_id):
        cand = get_scoped_or_404(Candidate, candidate_id)
        if cand.exam.kind != GAOKAO:
            abort(404)
        sections = []
        for batch in rules.batches_of(cand.exam_id):
            pending = rules.pending_of(cand.id, batch.id)
            sections.append({"batch": batch, "window": batch.window,
                             "rows": rules.effective_rows(cand.id, batch.id),
                             "pending": pending is not None})
        card = rules.active_card(cand)
        return self.render_template("gaokao/pref_candidate.html", cand=cand, sections=sections,
                                    card=card,
                                    back=url_for("GaokaoPreferenceView.missing",
                                                 exam=cand.exam_id))


def _bom(chunks):
    """Excel opens a UTF-8 CSV as such only with a byte order mark."""
    yield "\ufeff"
    yield from chunks
