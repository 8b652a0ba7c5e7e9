"""Choosing a candidate on a form without putting the subtree's candidates into the page.

A relation dropdown (FAB's default for a ``candidate`` column) renders every candidate the
user may see: 69 MB for a province. Instead:

* ``GET /api/pick/candidates?q=…[&exam=…][&kind=…]`` answers at most ``PICK_LIMIT``
  candidates of the user's subtree whose name, ID number or 考生号 starts with ``q`` (ID
  numbers masked for the roles that see them masked, and matched whole for those roles, so a
  prefix search cannot spell one out digit by digit);
* :class:`CandidatePickerField` is a text input that ``static/candidate_picker.js`` turns into
  search-as-you-type over that endpoint; it submits the chosen candidate's id, and without the
  script a typed ID number, 考生号 or system id works too. The server resolves the value through
  the scope (``lookup.find_candidates``), so a forged id of another county is refused with
  the same message as an unknown one;
* :func:`search_by_candidate` gives a list's search form a text filter on the candidate
  (``candidate_id``: name, ID number or 考生号 starts with) in place of a select of candidates.
"""
from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import false, or_, select
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FormError
from wtforms.widgets import html_params

from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import Node, in_scope, scoped
from ..list_inputs import like_literal, sane_filter_converter
from ..refusals import BadInput, NotAllowed, Refused
from .lookup import find_candidates
from .models import Candidate
from .privacy import display_id_number, sees_full_id

#: candidates one search answers at most: enough to choose from, never the subtree.
PICK_LIMIT = 20
#: characters of a search that are looked at (a name is at most 40, an ID number 18).
MAX_QUERY = 40
NOT_FOUND = _l("No candidate with that ID number, candidate number or system id is in your "
               "jurisdiction.")

bp = Blueprint("pickers", __name__)


# --- matching ---------------------------------------------------------------------------------

def starts_with(column, text):
    """``column`` starts with ``text``, in a form an index on the column can answer: a range
    on SQLite (whose LIKE ignores case and so never uses an index), LIKE on PostgreSQL (which
    uses a ``text_pattern_ops`` or "C"-collated index for it)."""
    if db.engine.dialect.name == "sqlite":
        # Binary order is code point order: every string with the prefix lies in this range.
        if ord(text[-1]) >= 0x10FFFF:  # a noncharacter, in no stored value
            return false()
        return (column >= text) & (column < text[:-1] + chr(ord(text[-1]) + 1))
    return column.like(like_literal(text) + "%", escape="\\")


def candidate_matches(text, full_ids):
    """[(column, condition)]: each way ``text`` can name candidates, answered by the index on
    its column: a name starts with it, or — for text starting with a digit — an ID number
    (whole, unless ``full_ids``) or a 考生号 does."""
    text = "".join(str(text or "").split())[:MAX_QUERY]
    if not text:
        return []
    if not text[0].isdigit():
        return [(Candidate.name, starts_with(Candidate.name, text))]
    number = text.upper()
    by_id = starts_with(Candidate.id_number, number) if full_ids else \
        Candidate.id_number == number
    return [(Candidate.id_number, by_id),
            (Candidate.candidate_number, starts_with(Candidate.candidate_number, number))]


def candidate_label(name, id_number, number, unit, exam):
    """How a picker names a candidate: enough to tell namesakes apart."""
    return " · ".join(str(p) for p in (name, display_id_number(id_number), number, unit, exam)
                      if p)


def pick(text, exam_id=None, kind=None):
    """[{"id", "label"}] of at most PICK_LIMIT candidates of the user's subtree matching
    ``text``: one bounded query per way of matching, in its column's order."""
    found = {}
    for column, condition in candidate_matches(text, sees_full_id(g.user)):
        stmt = (select(Candidate.id, Candidate.name, Candidate.id_number,
                       Candidate.candidate_number, Node.name, Exam.name)
                .join(Node, Candidate.node_id == Node.id)
                .join(Exam, Candidate.exam_id == Exam.id)
                .where(condition))
        if exam_id is not None:
            stmt = stmt.where(Candidate.exam_id == exam_id)
        if kind:
            stmt = stmt.where(Exam.kind == kind)
        stmt = scoped(stmt, Candidate).order_by(column, Candidate.id).limit(PICK_LIMIT)
        for cid, *shown in db.session.execute(stmt):
            found.setdefault(cid, candidate_label(*shown))
    return [{"id": cid, "label": label} for cid, label in list(found.items())[:PICK_LIMIT]]


@bp.route("/api/pick/candidates")
def candidates():
    """JSON {"results": [{"id", "label"}]} for a picker; the user's subtree only."""
    if not g.user or not g.user.is_authenticated:
        raise Refused(_l("Log in first."), status=401)
    if not current_app.appbuilder.sm.has_access("can_list", "CandidateView"):
        raise NotAllowed(_l("You may not look up candidates."))
    exam = request.args.get("exam", "").strip()
    if exam and not (exam.isdigit() and len(exam) <= 9):
        raise BadInput(_l("The exam must be given by its number."))
    results = pick(request.args.get("q", ""), int(exam) if exam else None,
                   request.args.get("kind", "").strip() or None)
    return jsonify(results=results)


def register(app):
    """Serve the picker endpoint (called by the application factory)."""
    app.register_blueprint(bp)


# --- the form field -----------------------------------------------------------------------------

class CandidatePickerWidget:
    """A text input carrying the picker's endpoint, with its script (served by this site, so
    the CSP's ``script-src 'self'`` lets it run; no inline code)."""

    def __call__(self, field, **kwargs):
        params = {"kind": field.kind} if field.kind else {}
        kwargs.setdefault("id", field.id)
        kwargs.update({
            "class": "form-control ks-candidate-picker", "type": "text", "name": field.name,
            "value": field._value(), "autocomplete": "off",
            "placeholder": _("Name, ID number or candidate number"),
            "data-candidate-picker": url_for("pickers.candidates", **params),
            "data-picker-label": field.label_text(),
            "data-picker-empty": _("No candidate in your jurisdiction matches."),
            "data-picker-failed": _("The search failed; try again."),
        })
        if field.exam_field:
            kwargs["data-picker-exam-field"] = field.exam_field
        script = url_for("static", filename="candidate_picker.js")
        nonce = getattr(request, "csp_nonce", "")
        return Markup(f"<input {html_params(**kwargs)}>"
                      f'<script src="{script}" nonce="{nonce}" defer></script>')


def find_one(form, ref):
    """The default way a picker's value names a candidate: the one candidate of the subtree
    with that system id (what the picker submits), ID number or 考生号."""
    found = find_candidates(ref)
    if not found:
        raise FormError(NOT_FOUND)
    if len(found) > 1:
        raise FormError(_l("That entry matches several candidates; choose one from the list."))
    return found[0]


class CandidatePickerField(Field):
    """The candidate of a new row, chosen by search-as-you-type; ``data`` is the Candidate.

    ``resolve(form, ref)`` turns the submitted text into the candidate (default
    :func:`find_one`, always through the scope) or raises FormError; each of ``checks``
    (``check(candidate)``) may refuse it with FormError. ``kind`` limits the suggestions to
    one exam kind, ``exam_field`` to the exam chosen in that field of the same form. A
    candidate set by FAB from a related list's link (``_flt_0_candidate``) is loaded by FAB
    without the scope, so it is checked against the scope here."""

    widget = CandidatePickerWidget()

    def __init__(self, label=_l("Candidate"), validators=None, resolve=find_one, checks=(),
                 kind=None, exam_field=None, **kwargs):
        kwargs.setdefault("description", _l("Type a name, ID number or candidate number and "
                                            "choose the candidate from the list."))
        super().__init__(label, validators, **kwargs)
        self.resolve, self.checks = resolve, tuple(checks)
        self.kind, self.exam_field = kind, exam_field
        self.raw = ""
        self.flags.required = True

    def process_data(self, value):
        """A default is a reference (text) or a Candidate."""
        if isinstance(value, Candidate):
            self.data, self.raw = value, str(value.id)
        else:
            self.data, self.raw = None, (value or "").strip()

    def process_formdata(self, valuelist):
        if valuelist:
            self.data, self.raw = None, (valuelist[0] or "").strip()

    def pre_validate(self, form):
        if self.raw:
            try:
                self.data = self.resolve(form, self.raw)
            except FormError as exc:
                raise StopValidation(exc.args[0]) from None
        elif self.data is None:
            raise StopValidation(_l("Choose the candidate."))
        elif not in_scope(self.data):
            raise StopValidation(NOT_FOUND)
        for check in self.checks:
            check(self.data)

    def _value(self):
        return self.raw or (str(self.data.id) if self.data is not None else "")

    def label_text(self):
        """The chosen candidate as the picker shows it ("" before one is resolved)."""
        c = self.data
        if c is None:
            return ""
        return candidate_label(c.name, c.id_number, c.candidate_number,
                               c.node.name if c.node else None, c.exam.name if c.exam else None)


# --- the list's search form -----------------------------------------------------------------------

class FilterCandidate(BaseFilter):
    """Rows of the candidates whose name, ID number or 考生号 starts with the typed text."""

    name = _l("Name, ID number or candidate number starts with")
    arg_name = "cand"

    def apply(self, query, value):
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        matches = candidate_matches(value, sees_full_id(g.user))
        if not matches:
            return query
        ids = select(Candidate.id).where(or_(*(condition for _column, condition in matches)))
        return query.filter(getattr(self.model, self.column_name).in_(ids))


def search_by_candidate(datamodel):
    """``datamodel`` (a view's interface) searching its ``candidate_id`` column with
    FilterCandidate; a view lists ``candidate_id`` (not ``candidate``) in ``search_columns``,
    so its search form holds a text box and never a select of the subtree's candidates."""
    sane = sane_filter_converter(datamodel.filter_converter_class)

    class CandidateSearchConverter(sane):
        def convert(self, col_name):
            if col_name == "candidate_id":
                return [FilterCandidate(col_name, self.datamodel)]
            return super().convert(col_name)

    datamodel.filter_converter_class = CandidateSearchConverter
    return datamodel
