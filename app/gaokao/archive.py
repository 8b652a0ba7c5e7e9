"""高考电子档案: the nine parts of seed 002's archive and the state each is in for a candidate.

Each part registers itself here from its own module (``register(ArchivePart(...))`` at import
time), so this module imports no part: the archive page and the completeness report
(电子档案符合网上录取的质量要求) ask ``states_of`` for a page of candidates and get every part's
state from one bulk query per part, never one per candidate.
"""
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l

#: a part's states, from least to most complete.
MISSING = "missing"          # nothing entered yet
ENTERED = "entered"          # entered, not yet proofread / reviewed / confirmed
CONFIRMED = "confirmed"      # confirmed at the level the part requires
NOT_REQUIRED = "not_required"  # the part does not apply to this candidate (e.g. no 优惠 claimed)

STATE_LABELS = {
    MISSING: _l("Missing"),
    ENTERED: _l("Entered, not confirmed"),
    CONFIRMED: _l("Confirmed"),
    NOT_REQUIRED: _l("Not applicable"),
}

#: states that satisfy the admission quality requirement.
COMPLETE = {CONFIRMED, NOT_REQUIRED}


@dataclass(frozen=True)
class ArchivePart:
    """One part of the archive.

    ``states(candidate_ids)`` returns ``{candidate_id: state}`` for the ids given (absent ids
    count as MISSING), reading in bulk; ``link(candidate)`` the URL of the part's page for one
    candidate (or None); ``summary(candidate)`` a short text shown on the archive page."""

    key: str
    order: int
    label: object
    states: Callable[[list[int]], dict[int, str]]
    link: Callable[[object], str | None] | None = None
    summary: Callable[[object], str | None] | None = None
    #: optional, for the completeness report: ``state_sql(candidate_id_column)`` returns a SQL
    #: expression giving the part's state for that candidate (a CASE over correlated EXISTS,
    #: see ``state_case``), so the report counts a province with GROUP BY queries. A part
    #: without it is counted through ``states`` over chunks of candidate ids (slower).
    state_sql: Callable[[object], object] | None = None


_PARTS: dict[str, ArchivePart] = {}


def register(part):
    """Add (or replace, on re-import) a part."""
    _PARTS[part.key] = part
    return part


def parts():
    """The registered parts in archive order."""
    return sorted(_PARTS.values(), key=lambda p: p.order)


def states_of(candidate_ids):
    """``{candidate_id: {part key: state}}`` for every registered part."""
    ids = list(candidate_ids)
    out = {cid: {} for cid in ids}
    for part in parts():
        found = part.states(ids) if ids else {}
        for cid in ids:
            out[cid][part.key] = found.get(cid, MISSING)
    return out


def incomplete(states):
    """The keys of the parts in ``states`` (one candidate's) that keep it from being complete."""
    return [key for key, state in states.items() if state not in COMPLETE]


#: the nine parts of seed 002, in the notice's order (key → order, label); a part's module
#: registers under its key.
PART_ORDER = {
    "registration": (1, _l("Registration information")),
    "physical": (2, _l("Physical examination")),
    "bonus": (3, _l("Bonus-point qualifications")),
    "special_plan": (4, _l("Special-plan qualification")),
    "preferences": (5, _l("Preferences")),
    "scores": (6, _l("Scores")),
    "integrity": (7, _l("Integrity records")),
    "academic": (8, _l("Academic proficiency test results")),
    "quality": (9, _l("Comprehensive quality evaluation")),
}


def part(key, states, link=None, summary=None, state_sql=None):
    """Register the part ``key`` of PART_ORDER with its state reader (and, optionally, its
    SQL state expression for the completeness report)."""
    order, label = PART_ORDER[key]
    return register(ArchivePart(key, order, label, states, link, summary, state_sql))


def state_case(*whens, default=MISSING):
    """A ``state_sql`` expression from ``(condition, state)`` pairs tried in order, e.g.
    ``state_case((exists(confirmed row for cid), CONFIRMED), (exists(row for cid), ENTERED))``;
    ``default`` when none holds."""
    from sqlalchemy import case, literal

    return case(*[(cond, literal(state)) for cond, state in whens], else_=literal(default))


def states_from_sql(part_, candidate_ids):
    """``states`` of a part that has ``state_sql``: one query for the ids given."""
    from sqlalchemy import select

    from ..candidates.models import Candidate
    from ..extensions import db

    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Candidate.id, part_.state_sql(Candidate.id))
                              .where(Candidate.id.in_(ids))).all()
    return {cid: state for cid, state in rows}
