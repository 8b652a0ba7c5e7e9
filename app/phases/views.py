"""Phase configuration (时间安排), regional extensions (延时) and an exam's calendar timeline."""
from flask import current_app, g
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Optional

from .. import codes
from ..base_views import GuardedMixin, ScopedModelView
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node, scope_clause
from ..refusals import BadInput
from .models import ACTIVITIES, HUKOU_SCOPES, Phase, PhaseExtension, PhaseRegion
from .rules import ancestor_paths, check_extension, format_hours, now_local, parse_hours

LABELS = {"exam": _l("Exam"), "activity": _l("Activity"), "activity_label": _l("Activity"),
          "category": _l("Candidate category (empty: all)"),
          "category_label": _l("Candidate category"), "name": _l("Name"),
          "start": _l("Start (Beijing time)"), "end": _l("End (Beijing time)"),
          "phase": _l("Phase"), "node": _l("Region"), "new_end": _l("Extended end"),
          "reason": _l("Reason"), "created_on": _l("Granted at"),
          "granted_by": _l("Granted by"),
          "hukou_local": _l("Household registration (户籍) condition"),
          "hukou_label": _l("Household registration (户籍) condition"),
          "hours": _l("Daily hours (Beijing time)"), "hours_label": _l("Daily hours"),
          "region_codes": _l("Regions (empty: everywhere)"), "regions_label": _l("Regions")}
REGION_KINDS = (PROVINCE, CITY, COUNTY)
_SEPARATORS = str.maketrans({"，": ",", "、": ",", ";": ",", "；": ",", " ": ",", "\n": ","})


def resolve_regions(text):
    """Region codes or names ("430100,株洲市") → [Node] of provinces, cities or counties, in the
    order given; ValueError with a translated message naming what is not found."""
    tokens = [t.strip() for t in (text or "").translate(_SEPARATORS).split(",") if t.strip()]
    nodes, unknown = [], []
    for token in dict.fromkeys(tokens):
        found = db.session.execute(
            select(Node).where(Node.kind.in_(REGION_KINDS),
                               or_(Node.code == token, Node.name == token))
            .order_by(Node.path).limit(2)).scalars().all()
        if len(found) != 1:
            unknown.append(token)
        elif found[0] not in nodes:
            nodes.append(found[0])
    if unknown:
        raise ValueError(_l("No single province, city or county has the code or name "
                            "%(values)s.", values="、".join(unknown)))
    return nodes


def _hours_valid(form, field):
    try:
        field.data = format_hours(parse_hours(field.data)).replace("–", "-").replace(
            ", ", ",") or None
    except ValueError as exc:
        raise ValidationError(str(exc.args[0]))


def _regions_valid(form, field):
    try:
        resolve_regions(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc.args[0]))




def category_choices():
    """Category codes are per exam kind: each option names what the code means in each kind
    (the phase's exam decides which applies)."""
    names = {}
    for kind, table in codes.CANDIDATE_CATEGORIES.items():
        for code, name in codes.choices(table, lang=None):
            names.setdefault(code, []).append(
                f"{codes.label(codes.EXAM_KINDS, kind, lang=None)}: {name}")
    return [(code, f"{code} ({'; '.join(parts)})") for code, parts in sorted(names.items())]


class PhaseView(GuardedMixin, ModelView):
    datamodel = SQLAInterface(Phase)
    list_title, show_title = _l("Phases"), _l("Phase")
    add_title, edit_title = _l("Add phase"), _l("Edit phase")
    list_columns = ["exam", "activity_label", "category_label", "name", "start", "end",
                    "regions_label", "hukou_label", "hours_label"]
    add_columns = edit_columns = ["exam", "activity", "category", "name", "start", "end",
                                  "region_codes", "hukou_local", "hours"]
    show_columns = ["exam", "activity_label", "category_label", "name", "start", "end",
                    "regions_label", "hukou_label", "hours_label"]
    search_columns = ["exam", "activity", "category"]
    base_order = ("start", "asc")
    label_columns = LABELS
    add_form_extra_fields = edit_form_extra_fields = {
        "activity": SelectField(_l("Activity"), choices=list(ACTIVITIES.items()),
                                validators=[DataRequired()]),
        "category": SelectField(_l("Candidate category (empty: all)"), validators=[Optional()],
                                choices=lambda: [("", "")] + category_choices()),
        "region_codes": StringField(
            _l("Regions (empty: everywhere)"), validators=[Optional(), _regions_valid],
            description=_l("Codes or names of provinces, cities or counties, separated by "
                           "commas, e.g. 430100,430200 or 长沙市、株洲市. The window then applies "
                           "only there, replacing the windows without regions.")),
        "hukou_local": SelectField(
            _l("Household registration (户籍) condition"), validators=[Optional()],
            choices=lambda: [("", str(_l("Everyone")))] + [(k, str(v))
                                                          for k, v in HUKOU_SCOPES.items()]),
        "hours": StringField(
            _l("Daily hours (Beijing time)"), validators=[Optional(), _hours_valid],
            description=_l("Empty: all day. Otherwise e.g. 08:00-12:00,15:00-18:00 (open from "
                           "the first time, closed from the second).")),
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None and "region_codes" in form:
            form.region_codes.data = ",".join(r.node.code for r in item.regions)

    def guard(self, item, is_add):
        item.category = item.category or None
        item.hukou_local = item.hukou_local or None
        item.hours = item.hours or None
        if item.start and item.end and item.end <= item.start:
            raise BadInput(_l("The end must be after the start."))
        text = getattr(item, "region_codes", None)
        if text is not None:
            try:
                nodes = resolve_regions(text)
            except ValueError as exc:
                raise BadInput(exc.args[0])
            wanted = {n.id for n in nodes}
            for region in list(item.regions):
                if region.node_id not in wanted:
                    item.regions.remove(region)
            have = {r.node_id for r in item.regions}
            item.regions.extend(PhaseRegion(node=n) for n in nodes if n.id not in have)


class PhaseExtensionView(ScopedModelView):
    """A city or province admin grants a region of its subtree a later end, with a reason."""

    datamodel = SQLAInterface(PhaseExtension)
    list_title, show_title = _l("Extensions"), _l("Extension")
    add_title, edit_title = _l("Grant an extension"), _l("Edit extension")
    list_columns = ["phase", "node", "new_end", "reason", "created_on"]
    add_columns = ["phase", "node", "new_end", "reason"]
    edit_columns = ["new_end", "reason"]
    base_order = ("id", "desc")
    label_columns = LABELS

    def guard(self, item, is_add):
        check_extension(g.user, item)
        item.granted_by = g.user.id


class TimelineView(BaseView):
    route_base = "/phases"
    default_view = "timeline"

    @expose("/timeline/")
    @expose("/timeline/<int:exam_id>")
    @has_access
    def timeline(self, exam_id=None):
        exams = db.session.execute(select(Exam).order_by(Exam.year.desc(), Exam.kind)).scalars().all()
        exam = next((e for e in exams if e.id == exam_id), exams[0] if exams else None)
        phases = []
        if exam is not None:
            phases = db.session.execute(select(Phase).where(Phase.exam_id == exam.id)
                                        .order_by(Phase.start)).scalars().all()
        bars, now = [], now_local()
        extensions = visible_extensions([p.id for p in phases])
        if phases:
            ends = [p.end for p in phases] + [e.new_end for e in extensions]
            first, last = min(p.start for p in phases), max(ends)
            span = max((last - first).total_seconds(), 1)

            def pct(moment):
                return round((moment - first).total_seconds() / span * 100, 2)

            for p in phases:
                width = max(pct(p.end) - pct(p.start), 0.8)
                # Extensions of this phase: the bar grows to the extended end, per region.
                extra = [(e, pct(e.new_end) - pct(p.end), e.phase.start <= now <= e.new_end)
                         for e in extensions if e.phase_id == p.id]
                bars.append((p, pct(p.start), round(width, 2), p.start <= now <= p.end, extra))
        return self.render_template("phases/timeline.html", exams=exams, exam=exam, bars=bars,
                                    now=now, required=current_app.config.get("PHASES_REQUIRED"))


def visible_extensions(phase_ids):
    """Extensions of these phases that concern the user: granted inside its subtree, or to a
    region above it (those apply to the user's unit too)."""
    if not phase_ids:
        return []
    node = g.user.node
    if node is None:
        return []
    stmt = (select(PhaseExtension).join(Node, Node.id == PhaseExtension.node_id)
            .where(PhaseExtension.phase_id.in_(phase_ids),
                   or_(scope_clause(PhaseExtension, node), Node.path.in_(ancestor_paths(node))))
            .order_by(Node.path, PhaseExtension.new_end))
    return db.session.execute(stmt).scalars().all()
