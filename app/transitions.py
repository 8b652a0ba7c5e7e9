"""One transition type for every state machine of the application, and one check and apply.

The review of records and qualification applications (``review.workflow``), point proposals and
data reports (``points.rules``) and incidents (``playbooks.rules``) each declare a table of
:class:`Transition`: which action moves a row from which states to which, who may run it,
in which phase window, whether it needs a reason or a sign-off, and

* **guards**: callables ``guard(move)`` that raise :class:`~app.refusals.Refused` when the
  transition may not run on this row now (a rule beyond states and roles: the lock, the
  printed form, the unit the row comes from);
* **effects**: callables ``effect(move)`` applied after the state moved (signing sets the
  lock, unlocking clears it, an approval sets the point up, a history row is written).

:func:`check` asks everything in a fixed order and changes nothing; :func:`apply` checks, moves
the state and runs the effects. Screens ask :func:`offered` (what a user's roles may run at
all) and :func:`possible` (what applies to one row now, or why not): nobody else compares
states to decide.
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from .refusals import Refused

#: The actor name of a transition run without a staff user (the candidate's self-service page).
CANDIDATE = "candidate"


class TransitionRefused(Refused):
    """A transition that does not apply to this row (skipped, with a translated reason)."""

    status = 422


class Conflict(TransitionRefused):
    """Someone else changed the row since it was loaded."""

    status = 409


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    #: The states it starts from; None among them: the transition also creates the row.
    from_states: tuple
    #: The state it leads to; None: the state stays (lock operations, withdrawing).
    to_state: str | None = None
    #: The role names that may run it; a callable returning them when configuration decides
    #: (who unlocks); None when the screen's permission alone decides.
    roles: tuple | Callable[[], tuple] | None = ()
    #: The phase activity whose window must be open (the table's check asks it).
    activity: str | None = None
    needs_reason: bool = False
    needs_signoff: bool = False
    guards: tuple = ()
    effects: tuple = ()

    def allowed_roles(self):
        """The role names that may run it (None: any user the screen admits)."""
        return self.roles() if callable(self.roles) else self.roles


@dataclass
class Move:
    """One request to run ``transition`` on ``subject``: what guards and effects read."""

    subject: Any
    transition: Transition
    user: Any
    reason: str = ""
    principal_name: str | None = None
    signed_on: dt.date | None = None
    now: dt.datetime | None = None
    #: The state before the move (set by :func:`check`).
    before: str | None = None
    #: What the table's own guards and effects share (e.g. counts computed once).
    context: dict = field(default_factory=dict)

    @property
    def actor(self):
        """The name history rows carry: the user's, or the candidate's own page."""
        return getattr(self.user, "username", None) or CANDIDATE


def actor_roles(user):
    """The role names of ``user``; the candidate's page (no user) acts as CANDIDATE."""
    return {CANDIDATE} if user is None else {r.name for r in user.roles}


def may_run(transition, user):
    """Whether ``user``'s roles may run ``transition`` at all."""
    roles = transition.allowed_roles()
    return roles is None or bool(actor_roles(user) & set(roles))


def offered(transitions, user):
    """The transitions of the table ``user``'s roles may run at all: what its screens offer."""
    return [t for t in transitions.values() if may_run(t, user)]


def find(transitions, action):
    """The transition of the table named ``action``."""
    transition = transitions.get(action)
    if transition is None:
        raise TransitionRefused(_l("Unknown action."))
    return transition


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TransitionRefused(_l("The version must be a whole number.")) from None


def check(subject, transition, user, labels, reason=None, principal_name=None, signed_on=None,
          expected_version=None, now=None, state="state", starts_from=None, context=None,
          name=None):
    """Every check of a transition, changing nothing; returns the :class:`Move`.

    In order: role, the version the caller saw (``subject.version``), state, reason,
    sign-off, then the transition's guards. ``subject`` has the state attribute named
    ``state`` and a ``name`` (or ``name`` says what to call it); ``labels`` names the states. ``starts_from(transition)`` gives the states
    it starts from for this subject when the table derives them per row (the review chain).
    """
    name = subject.name if name is None else name
    if not may_run(transition, user):
        raise TransitionRefused(_l("Your role may not do “%(action)s”.", action=transition.label))
    if expected_version not in (None, "") and _as_int(expected_version) != subject.version:
        raise Conflict(_l("%(name)s was changed by someone else after you loaded the page; "
                          "reload and check again.", name=name))
    current = getattr(subject, state)
    from_states = transition.from_states if starts_from is None else starts_from(transition)
    if current not in from_states:
        raise TransitionRefused(_l("%(name)s is “%(state)s”: “%(action)s” does not apply.",
                                   name=name, state=labels.get(current, current),
                                   action=transition.label))
    move = Move(subject, transition, user, (reason or "").strip(),
                (principal_name or "").strip() or None, signed_on, now, current,
                dict(context or {}))
    if transition.needs_reason and not move.reason:
        raise TransitionRefused(_l("A reason is required."))
    if transition.needs_signoff and not (move.principal_name and signed_on):
        raise TransitionRefused(_l("The name of the principal (or the point's head) and the "
                                   "sign-off date are required."))
    for guard in transition.guards:
        guard(move)
    return move


def apply(move, state="state"):
    """Move the subject of a checked ``move`` to its transition's state (when it has one),
    then run the transition's effects in order; returns the move."""
    move.now = move.now or dt.datetime.now()
    if move.transition.to_state is not None:
        setattr(move.subject, state, move.transition.to_state)
    for effect in move.transition.effects:
        effect(move)
    return move


def possible(transitions, user, check_one):
    """[(transition, refusal)] over the transitions ``user`` may run at all: refusal is None
    when ``check_one(transition)`` passes, else the translated reason why not."""
    result = []
    for transition in offered(transitions, user):
        try:
            check_one(transition)
            result.append((transition, None))
        except Refused as exc:
            result.append((transition, str(exc)))
    return result
