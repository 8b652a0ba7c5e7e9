"""Incident screens (突发事件处置): list and open incidents inside one's subtree, the incident page
with its playbook's steps in order (who did each and when), the automated steps, notes and
status, the reconciliation of paper drafts and the snapshot downloads."""
import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField
from wtforms.validators import DataRequired

from .. import filestore
from ..audit import log_event
from ..base_views import CodedInterface, HardenedViewMixin, ScopedModelView
from ..candidates.privacy import display_id_number
from ..extensions import db
from ..jobs import record_job_status
from ..jurisdiction import get_scoped_or_404
from ..candidates.states import STATE_LABELS
from . import actions, playbooks
from .models import OPEN, STATUS_LABELS, Incident, IncidentSnapshot
from .reconcile import checked_ids, imported_records, save_checks
from ..refusals import Refused
from .rules import (IncidentRefused, check_not_closed, check_opening, is_active, status_changes,
                    takes_notes)
from .tasks import SNAPSHOT_TIMEOUT, SNAPSHOTS, take_snapshot

RECONCILE_PAGE = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_moment(text):
    """'2026-09-13T17:00' (a datetime-local input) or '2026-09-13 17:00[:00]'; None if not."""
    text = (text or "").strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _int(value):
    return int(value) if str(value or "").strip().isdigit() else None


def _ids(name):
    return [int(v) for v in request.form.getlist(name) if v.strip().isdigit()]


class IncidentView(ScopedModelView):
    route_base = "/incidents"
    datamodel = CodedInterface(Incident, coded=("anomaly", "status"))
    base_permissions = ["can_list", "can_show", "can_add", "can_act", "can_snapshot"]
    # Incidents are records: nothing edits or deletes them; their log grows.
    exclude_route_methods = HardenedViewMixin.exclude_route_methods | {"edit", "delete"}
    list_title, show_title, add_title = _l("Incidents"), _l("Incident"), _l("Open an incident")
    list_columns = ["id", "anomaly_label", "node", "exam", "status_label", "paper_label",
                    "opened_on", "opened_by", "escalated_to"]
    add_columns = ["anomaly", "exam", "node", "summary"]
    search_columns = ["anomaly", "status", "node", "exam", "opened_on"]
    base_order = ("id", "desc")
    label_columns = {
        "id": _l("No."), "anomaly": _l("Anomaly"), "anomaly_label": _l("Anomaly"),
        "node": _l("Region"), "exam": _l("Exam"), "status": _l("Status"),
        "status_label": _l("Status"), "paper_label": _l("Paper draft forms"),
        "opened_on": _l("Opened at"), "opened_by": _l("Opened by"),
        "summary": _l("What happened"),
        "escalated_to": _l("Reported to"), "escalated_to_id": _l("Reported to"),
        "escalated_on": _l("Reported at"), "escalated_by": _l("Reported by"),
        "escalated_by_id": _l("Reported by"),
    }
    add_form_extra_fields = {
        "anomaly": SelectField(_l("Anomaly"), choices=lambda: playbooks.choices(),
                               validators=[DataRequired()], widget=Select2Widget()),
    }
    description_columns = {
        "anomaly": _l("The response steps follow the exception playbooks (异常情况下的应对措施)."),
        "node": _l("The region concerned: your own unit or a unit below it."),
    }
    formatters_columns = {"opened_on": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""}
    search_form_extra_fields = {
        "anomaly": SelectField(_l("Anomaly"), choices=lambda: playbooks.choices(),
                               validators=[DataRequired()]),
        "status": SelectField(_l("Status"), choices=list(STATUS_LABELS.items()),
                              validators=[DataRequired()]),
    }
    add_form_query_rel_fields = {"exam": [["active", FilterEqual, True]]}
    add_row_message = _l("Incident opened.")

    # --- opening ---------------------------------------------------------------------

    def guard(self, item, is_add):
        check_opening(g.user, item)
        item.opened_by_id, item.opened_on = g.user.id, dt.datetime.now()
        item.status = OPEN

    def post_add(self, item):
        g.incident_opened = item.id

    def post_add_redirect(self):
        opened = getattr(g, "incident_opened", None)
        return redirect(url_for(".show", pk=opened) if opened else self.get_redirect())

    # --- the incident page -----------------------------------------------------------

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        return self._page(get_scoped_or_404(Incident, pk))

    def _page(self, incident, error=None, status=200):
        sm = self.appbuilder.sm
        can_act = sm.has_access("can_act", self.class_permission_name)
        for snapshot in incident.snapshots:
            record_job_status(snapshot)  # a snapshot whose worker died is failed here
        steps = []
        for step in incident.playbook.steps if incident.playbook else ():
            entries = [e for e in incident.entries if e.step == step.key]
            offered = [(action, actions.extendable_phases(incident, action)
                        if action.kind in (playbooks.EXTEND, playbooks.POSTPONE) else None)
                       for action in step.actions]
            steps.append((step, entries, offered))
        return self.render_template(
            "playbooks/show.html", incident=incident, steps=steps, error=error,
            posted=request.form if error else {},
            log=[e for e in incident.entries if e.step is None],
            transitions=status_changes(incident, g.user), active=can_act and is_active(incident),
            takes_notes=can_act and takes_notes(incident), can_act=can_act,
            can_snapshot=sm.has_access("can_snapshot", self.class_permission_name),
            status_labels=STATUS_LABELS,
            preamble=playbooks.preamble(), title=self.show_title), status

    def _done(self, incident, message):
        """Commit the change; a concurrent change to the incident is reported, not lost."""
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(_l("Someone else changed this incident meanwhile: check the page and try "
                     "again."), "warning")
        else:
            flash(message, "success")
        return redirect(url_for(".show", pk=incident.id))

    def _refused(self, incident, exc):
        db.session.rollback()
        incident = get_scoped_or_404(Incident, incident.id)
        return self._page(incident, str(exc), exc.status)

    @expose("/<int:pk>/step", methods=["POST"])
    @has_access
    @permission_name("act")
    def step(self, pk):
        """A step ticked done by hand, with a note."""
        incident = get_scoped_or_404(Incident, pk)
        try:
            actions.tick(incident, g.user, request.form.get("step"), request.form.get("note"))
        except Refused as exc:
            return self._refused(incident, exc)
        return self._done(incident, _l("Step recorded."))

    @expose("/<int:pk>/action", methods=["POST"])
    @has_access
    @permission_name("act")
    def action_run(self, pk):
        """The automated steps other than the snapshot (which has its own permission)."""
        incident = get_scoped_or_404(Incident, pk)
        form = request.form
        kind, step_key, note = form.get("kind"), form.get("step"), form.get("note")
        try:
            if kind in (playbooks.EXTEND, playbooks.POSTPONE):
                entry = actions.extend(incident, g.user, step_key, kind, _int(form.get("phase")),
                                       parse_moment(form.get("new_end")), note)
                message = _l("Extended %(phase)s for %(region)s until %(end)s.",
                             phase=entry.detail["phase"], region=entry.detail["node"],
                             end=entry.detail["new_end"])
            elif kind == playbooks.PAPER:
                actions.switch_to_paper(incident, g.user, step_key, note)
                message = _l("The region now collects on paper draft forms.")
            elif kind == playbooks.ONLINE:
                actions.back_online(incident, g.user, step_key, note)
                message = _l("The region is back online: enter the drafts with the registry "
                             "import and tick them off on the reconciliation page.")
            else:
                raise IncidentRefused(_l("This step does not offer that action."))
        except Refused as exc:
            return self._refused(incident, exc)
        return self._done(incident, message)

    @expose("/<int:pk>/snapshot", methods=["POST"])
    @has_access
    @permission_name("snapshot")
    def snapshot(self, pk):
        incident = get_scoped_or_404(Incident, pk)
        try:
            snap = actions.request_snapshot(incident, g.user, request.form.get("step"),
                                            request.form.get("note"))
        except Refused as exc:
            return self._refused(incident, exc)
        db.session.commit()
        log_event("snapshot", Incident.__tablename__, {
            "snapshot": snap.id, "region": incident.node.code, "exam": incident.exam_id},
            row_id=incident.id)
        try:
            snap.start_job(take_snapshot, timeout=SNAPSHOT_TIMEOUT,
                           description=f"incident {incident.id} snapshot")
        except Exception:
            # The queue is unreachable: start_job failed the row, so it does not stay
            # "queued" and block the next try.
            flash(_l("The snapshot could not be started: the job queue is not reachable. Try "
                     "again later or tell the system administrator."), "danger")
            return redirect(url_for(".show", pk=incident.id))
        return self._done(incident, _l("The snapshot is being made; reload this page to see "
                                       "when it can be downloaded."))

    @expose("/snapshot/<int:snapshot_id>.xlsx")
    @has_access
    @permission_name("snapshot")
    def snapshot_file(self, snapshot_id):
        """A finished snapshot, inside one's subtree only; every download is logged."""
        snap = get_scoped_or_404(IncidentSnapshot, snapshot_id)
        name = f"snapshot-{snap.incident.node.code}-{snap.incident_id}-{snap.id}.xlsx"
        # A finished job with a file is a done one (a failed job never has one).
        response = filestore.send(snap.result_path, SNAPSHOTS, XLSX, name) if snap.final else None
        if response is None:
            abort(404)
        log_event("download", Incident.__tablename__, {
            "snapshot": snap.id, "region": snap.incident.node.code, "rows": snap.rows},
            row_id=snap.incident_id)
        return response

    @expose("/<int:pk>/note", methods=["POST"])
    @has_access
    @permission_name("act")
    def note(self, pk):
        incident = get_scoped_or_404(Incident, pk)
        try:
            actions.add_note(incident, g.user, request.form.get("note"))
        except Refused as exc:
            return self._refused(incident, exc)
        return self._done(incident, _l("Note added."))

    @expose("/<int:pk>/status", methods=["POST"])
    @has_access
    @permission_name("act")
    def status(self, pk):
        incident = get_scoped_or_404(Incident, pk)
        try:
            entry = actions.change_status(incident, g.user, request.form.get("transition"),
                                          request.form.get("note"))
        except Refused as exc:
            return self._refused(incident, exc)
        reported_to = entry.detail.get("escalated_to")
        if reported_to:
            return self._done(incident, _l("Reported to %(unit)s.", unit=reported_to))
        return self._done(incident, _l("Status changed to %(status)s.",
                                       status=incident.status_label))

    # --- reconciliation of paper drafts ------------------------------------------------

    @expose("/<int:pk>/reconcile")
    @has_access
    @permission_name("show")
    def reconcile(self, pk):
        incident = self._paper_incident(pk)
        if incident is None:
            return redirect(url_for(".show", pk=pk))
        records = imported_records(incident)
        checked = checked_ids(incident)
        can_act = self.appbuilder.sm.has_access("can_act", self.class_permission_name)
        pages = max((len(records) + RECONCILE_PAGE - 1) // RECONCILE_PAGE, 1)
        page = min(max(_int(request.args.get("page")) or 1, 1), pages)
        shown = records[(page - 1) * RECONCILE_PAGE:page * RECONCILE_PAGE]
        return self.render_template(
            "playbooks/reconcile.html", incident=incident, records=shown, checked=checked,
            total=len(records), done=len(checked & {c.id for c, *_r in records}), page=page,
            pages=pages, id_display=display_id_number, state_labels=STATE_LABELS,
            can_act=can_act, can_save=can_act and takes_notes(incident),
            title=_l("Reconciliation of paper drafts"))

    @expose("/<int:pk>/reconcile", methods=["POST"])
    @has_access
    @permission_name("act")
    def reconcile_save(self, pk):
        """Tick off the drafts of one page (``shown``: the records listed, ``tick``: ticked)."""
        incident = self._paper_incident(pk)
        if incident is None:
            return redirect(url_for(".show", pk=pk))
        page = _int(request.args.get("page")) or 1
        try:
            check_not_closed(incident)
        except IncidentRefused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".reconcile", pk=incident.id, page=page))
        ticked, unticked = save_checks(incident, g.user, _ids("shown"), _ids("tick"))
        db.session.commit()
        flash(_("Saved: %(ticked)s ticked off, %(unticked)s unticked.", ticked=ticked,
                unticked=unticked), "success")
        return redirect(url_for(".reconcile", pk=incident.id, page=page))

    @staticmethod
    def _paper_incident(pk):
        """The incident (scoped), or None with a message when it never went to paper."""
        incident = get_scoped_or_404(Incident, pk)
        if incident.paper_since is None:
            flash(_l("The region has not switched to paper draft forms: there is nothing to "
                     "reconcile."), "info")
            return None
        return incident

    # --- the playbooks themselves -------------------------------------------------------

    @expose("/playbooks")
    @has_access
    @permission_name("list")
    def reference(self):
        return self.render_template("playbooks/playbooks.html", playbooks=playbooks.PLAYBOOKS,
                                    preamble=playbooks.preamble(),
                                    title=_l("Exception playbooks"))
