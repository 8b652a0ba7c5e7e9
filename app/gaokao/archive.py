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


def part(key, states, link=None, summary=None):
    """Register the part ``key`` of PART_ORDER with its state reader."""
    order, label = PART_ORDER[key]
    return register(ArchivePart(key, order, label, states, link, summary))
