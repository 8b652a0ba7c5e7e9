"""Rules of the 高考 archive as plain functions: measurements with their ranges, the agreement
between the results and the doctor's restriction codes and conclusion, and the guards every
write calls (高考 candidates only; the physical results follow the record's lock).

Measurement and consistency errors are ``validators.InvalidValue`` (stable code,
translated message); guard refusals are ``ValueError`` / ``Locked`` carrying the message.
"""
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import codes as candidate_codes
from ..codes import ADULT, GAOKAO
from ..validators import InvalidValue
from . import codes
from ..refusals import BadInput


@dataclass(frozen=True)
class Measure:
    """One number of the paper form: label, accepted range, decimals, step."""

    label: object
    low: float
    high: float
    decimals: int = 0
    step: int = 1  # whole-number measures only (lens degrees come in steps of 25)
    required: bool = True


# Vision in the five-point notation of GB 11533 (5.0 = 1.0 decimal; 0 no light perception,
# 1 light perception, 2 hand movement, 3 counting fingers). Hearing: whisper distance, 5 m normal.
MEASURES = {
    "vision_naked_right": Measure(_l("Naked vision, right eye"), 0.0, 5.3, 1),
    "vision_naked_left": Measure(_l("Naked vision, left eye"), 0.0, 5.3, 1),
    "vision_corrected_right": Measure(_l("Corrected vision, right eye"), 0.0, 5.3, 1,
                                      required=False),
    "vision_corrected_left": Measure(_l("Corrected vision, left eye"), 0.0, 5.3, 1,
                                     required=False),
    "lens_right": Measure(_l("Lens, right eye (degrees)"), -3000, 3000, step=25, required=False),
    "lens_left": Measure(_l("Lens, left eye (degrees)"), -3000, 3000, step=25, required=False),
    "bp_systolic": Measure(_l("Blood pressure, systolic (mmHg)"), 60, 250),
    "bp_diastolic": Measure(_l("Blood pressure, diastolic (mmHg)"), 30, 150),
    "height": Measure(_l("Height (cm)"), 100.0, 230.0, 1),
    "weight": Measure(_l("Weight (kg)"), 25.0, 200.0, 1),
    "hearing_right": Measure(_l("Hearing, right ear (m)"), 0.0, 5.0, 1),
    "hearing_left": Measure(_l("Hearing, left ear (m)"), 0.0, 5.0, 1),
    "alt": Measure(_l("ALT (U/L)"), 0, 2000, required=False),
}
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.(\d+))?")


def fmt(value, key):
    """A stored measurement as printed and shown: the decimals its measure has."""
    if value is None:
        return ""
    decimals = MEASURES[key].decimals
    return f"{value:.{decimals}f}" if decimals else str(int(value))


def parse_measure(key, text):
    """The number typed for ``key`` (full-width digits accepted), checked against its range;
    None when empty. Raises InvalidValue naming the field."""
    spec = MEASURES[key]
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not raw:
        if spec.required:
            raise InvalidValue("required", _l("%(field)s is required.", field=spec.label))
        return None
    match = _NUMBER_RE.fullmatch(raw)
    if match is None:
        raise InvalidValue("number", _l("%(field)s: “%(value)s” is not a number.",
                                           field=spec.label, value=raw))
    if len(match.group(1) or "") > spec.decimals:
        if spec.decimals:
            raise InvalidValue("decimals", _l(
                "%(field)s: at most %(n)d decimal place, e.g. %(example)s.", field=spec.label,
                n=spec.decimals, example=fmt(spec.high, key)))
        raise InvalidValue("decimals", _l("%(field)s must be a whole number.",
                                             field=spec.label))
    value = float(raw) if spec.decimals else int(raw)
    if not spec.low <= value <= spec.high:
        raise InvalidValue("range", _l(
            "%(field)s must lie between %(low)s and %(high)s; %(value)s does not.",
            field=spec.label, low=fmt(spec.low, key), high=fmt(spec.high, key), value=raw))
    if not spec.decimals and value % spec.step:
        raise InvalidValue("step", _l("%(field)s comes in steps of %(step)d.",
                                         field=spec.label, step=spec.step))
    return value


# --- results, restriction codes and conclusion ------------------------------------------

def _restriction_label(code):
    return candidate_codes.label(codes.RESTRICTIONS, code, lang=None, default=code)


def required_restrictions(v):
    """{code: reason} of the restrictions the measured results call for (``v``: field → value;
    missing values decide nothing)."""
    found = {}
    colour = {"2": "21", "3": "22", "4": "23"}.get(v.get("colour_vision"))
    if colour:
        found[colour] = _l("colour vision")
    naked = [x for x in (v.get("vision_naked_right"), v.get("vision_naked_left")) if x is not None]
    if naked and min(naked) < 5.0:
        found["24"] = _l("naked vision below 5.0")
    if naked and min(naked) < 4.8:
        found["25"] = _l("naked vision below 4.8")
    lenses = [abs(x) for x in (v.get("lens_right"), v.get("lens_left")) if x is not None]
    if lenses and max(lenses) > 400:
        found["34"] = _l("lens over 400 degrees")
    if lenses and max(lenses) > 800:
        found["35"] = _l("lens over 800 degrees")
    ears = (v.get("hearing_right"), v.get("hearing_left"))
    if None not in ears and (max(ears) <= 3 or (max(ears) >= 5 and min(ears) == 0)):
        found["37"] = _l("hearing")
    if v.get("smell") not in (None, "", "1"):
        found["38"] = _l("sense of smell")
    return found


#: restrictions that follow from the measurements alone: recorded without them, a typing error.
_MEASURED_ONLY = {"21": "colour_vision", "22": "colour_vision", "23": "colour_vision",
                  "24": "vision_naked", "25": "vision_naked"}


def _measured(v, basis):
    if basis == "colour_vision":
        return bool(v.get("colour_vision"))
    return None not in (v.get("vision_naked_right"), v.get("vision_naked_left"))


def restriction_problem(v):
    """Why the restriction codes disagree with the measured results, or None."""
    chosen = set(v.get("restrictions") or ())
    needed = required_restrictions(v)
    for code, reason in needed.items():
        if code not in chosen:
            return _l("The results (%(reason)s) call for restriction %(code)s; add it, or have "
                      "the examining doctor correct the form.", reason=reason,
                      code=_restriction_label(code))
    for code in sorted(chosen):
        basis = _MEASURED_ONLY.get(code)
        if basis and _measured(v, basis) and code not in needed:
            return _l("Restriction %(code)s does not agree with the measured results.",
                      code=_restriction_label(code))
    return None


def expected_conclusion(restriction_codes):
    """The conclusion the restrictions lead to: the most severe section among them."""
    found = {codes.SECTION_CONCLUSION[c[0]] for c in restriction_codes or ()} or {codes.FIT}
    return next(c for c in codes.SEVERITY if c in found)


def conclusion_problem(v):
    """Why the doctor's conclusion disagrees with the restriction codes, or None."""
    if not v.get("conclusion"):
        return None
    expected = expected_conclusion(v.get("restrictions"))
    if v["conclusion"] == expected:
        return None
    return _l("With the restrictions entered the conclusion is “%(expected)s”.",
              expected=candidate_codes.label(codes.CONCLUSIONS, expected, lang=None))


def corrected_problem(v, side):
    """Corrected vision cannot be worse than the naked vision of the same eye."""
    naked, corrected = v.get(f"vision_naked_{side}"), v.get(f"vision_corrected_{side}")
    if naked is not None and corrected is not None and corrected < naked:
        return _l("Corrected vision (%(corrected)s) is below naked vision (%(naked)s).",
                  corrected=f"{corrected:.1f}", naked=f"{naked:.1f}")
    return None


def blood_pressure_problem(v):
    high, low = v.get("bp_systolic"), v.get("bp_diastolic")
    if high is not None and low is not None and low >= high:
        return _l("The diastolic pressure must be below the systolic pressure.")
    return None


#: field → the consistency check reported on it.
CONSISTENCY = {
    "vision_corrected_right": lambda v: corrected_problem(v, "right"),
    "vision_corrected_left": lambda v: corrected_problem(v, "left"),
    "bp_diastolic": blood_pressure_problem,
    "restriction_list": restriction_problem,
    "conclusion": conclusion_problem,
}


# --- guards -----------------------------------------------------------------------------

def check_gaokao(candidate):
    """The archive holds 普通高考 candidates only."""
    if candidate.exam is None or candidate.exam.kind != GAOKAO:
        raise BadInput(_l("%(name)s is not a 高考 candidate: the 高考 archive only holds "
                            "candidates of a 普通高考.", name=candidate.name))


#: exam kinds whose candidates have integrity records: the 成人高考 考生登记表 prints them too.
INTEGRITY_KINDS = (GAOKAO, ADULT)


def check_integrity_candidate(candidate):
    """Integrity records are kept for 普通高考 and 成人高考 candidates."""
    if candidate.exam is None or candidate.exam.kind not in INTEGRITY_KINDS:
        raise BadInput(_l("%(name)s is not a 高考 or 成人高考 candidate: integrity records are "
                          "kept for candidates of a 普通高考 or a 成人高考.", name=candidate.name))


def check_physical_change(candidate):
    """Physical results belong to 高考 candidates only. The signed registration lock does not
    apply: the examination takes place months after registration was signed, and what the
    lock freezes is the candidate's registration data; every change of a result is kept in
    the audit trail with its user instead."""
    check_gaokao(candidate)
