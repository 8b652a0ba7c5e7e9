"""成人高考 rules from the Hunan 2019 notice (seed 004): preferences (志愿) and who may choose
which confirmation point (报名确认点). Plain functions over plain data; reasons are translated.

- at most two choices (seq 1 and 2); the first choice's level (报考层次) is the candidate's
  category; a second choice needs a first;
- 高起本 (01): the second choice may be 高起本 or 高起专; 高起专 (02): only 高起专;
  专升本 (03): only 专升本 in the same 招生专业类 (major category);
- candidates under 17 on the exam date may only choose a point designated for minors
  (低龄审核点); candidates whose first choice is a medical major category only a point
  designated for medical candidates (医卫类审核点); a point serves the levels it lists
  (empty = all); only active points of the candidate's province count.
"""
import datetime as dt
import re

from flask_babel import lazy_gettext as _l

from .. import codes
from ..jurisdiction import POINT

HIGH_TO_BACHELOR, HIGH_TO_COLLEGE, COLLEGE_TO_BACHELOR = "01", "02", "03"
LEVELS = codes.CANDIDATE_CATEGORIES[codes.ADULT]
#: the levels a second choice may have, per first-choice level.
SECOND_LEVELS = {
    HIGH_TO_BACHELOR: (HIGH_TO_BACHELOR, HIGH_TO_COLLEGE),
    HIGH_TO_COLLEGE: (HIGH_TO_COLLEGE,),
    COLLEGE_TO_BACHELOR: (COLLEGE_TO_BACHELOR,),
}
SEQS = (1, 2)
MINOR_AGE = 17
#: 院校代码 (5 digits nationally; some provinces use their own 4-digit or lettered codes).
SCHOOL_CODE_RE = re.compile(r"[0-9A-Z]{4,10}")
MAJOR_CODE_RE = re.compile(r"[0-9A-Z]{1,10}")
DURATIONS = ("2", "2.5", "3", "4", "5")
TEXT_LIMIT = 100

_CODE_TABLES = {
    "level": LEVELS,
    "track": codes.ADULT_TRACKS,
    "major_category": codes.ADULT_MAJOR_CATEGORIES,
    "study_form": codes.STUDY_FORMS,
}


def _codes(table):
    return {row[0] for row in table}


def _label(field, code):
    return codes.label(_CODE_TABLES[field], code, lang=None) or code


def _text(value, upper=False):
    value = " ".join(str(value or "").split())
    return value.upper() if upper else value


def clean_preference(raw):
    """One preference from form-like data → ``(values, {field: reason})``.

    Required: level, major category (it decides the 专升本 rule and the medical points),
    study form, school and major code and name; 科类 (track) for 高起本 / 高起专 (专升本's
    科类 is its major category). 学制 (duration) is optional.
    """
    values, errors = {}, {}
    for field, table in _CODE_TABLES.items():
        code = _text(raw.get(field))
        if code and code not in _codes(table):
            errors[field] = _l("Choose a value from the list.")
        values[field] = code or None
    for field in ("level", "major_category", "study_form"):
        if not values[field] and field not in errors:
            errors[field] = _l("This field is required.")
    if values["level"] == COLLEGE_TO_BACHELOR:
        values["track"] = None
    elif values["level"] and not values["track"] and "track" not in errors:
        errors["track"] = _l("Choose the subject track (科类).")
    for field, pattern, upper in (("school_code", SCHOOL_CODE_RE, True),
                                  ("major_code", MAJOR_CODE_RE, True),
                                  ("school_name", None, False), ("major_name", None, False)):
        value = _text(raw.get(field), upper)
        values[field] = value
        if not value:
            errors[field] = _l("This field is required.")
        elif pattern is not None and not pattern.fullmatch(value):
            errors[field] = _l("Enter the code as published in the enrolment plan "
                               "(digits and letters, at most 10).")
        elif len(value) > TEXT_LIMIT:
            errors[field] = _l("At most %(n)d characters.", n=TEXT_LIMIT)
    duration = _text(raw.get("duration"))
    if duration and duration not in DURATIONS:
        errors["duration"] = _l("Choose a value from the list.")
    values["duration"] = duration or None
    values["adjust"] = str(raw.get("adjust") or "").lower() in ("1", "y", "yes", "on", "true")
    return values, errors


def preference_problems(category, preferences):
    """Reasons the set of preferences breaks the rules (empty when it is acceptable).

    ``category``: the candidate's level (None when not yet recorded); ``preferences``: the
    whole prospective set, mappings (or objects) with ``seq``, ``level``, ``major_category``,
    ``school_code`` and ``major_code``.
    """
    get = _get
    problems = []
    seqs = [get(p, "seq") for p in preferences]
    if len(preferences) > len(SEQS) or any(s not in SEQS for s in seqs):
        problems.append(_l("At most two preferences: a first and a second choice."))
        return problems
    if len(set(seqs)) != len(seqs):
        problems.append(_l("Each choice can be filled in once."))
        return problems
    by_seq = {get(p, "seq"): p for p in preferences}
    first, second = by_seq.get(1), by_seq.get(2)
    if second is not None and first is None:
        problems.append(_l("Fill in the first choice before the second."))
        return problems
    if first is None:
        return problems
    level = get(first, "level")
    if category and level != category:
        problems.append(_l("Your level is %(level)s: the first choice must be a %(level)s "
                           "programme. If your level is wrong, contact your confirmation point.",
                           level=_label("level", category)))
    if second is None:
        return problems
    second_level = get(second, "level")
    if second_level not in SECOND_LEVELS.get(level, ()):
        problems.append(_l("With a first choice of %(first)s the second choice may only be "
                           "%(allowed)s.", first=_label("level", level),
                           allowed="、".join(str(_label("level", c))
                                             for c in SECOND_LEVELS.get(level, ()))))
    elif level == COLLEGE_TO_BACHELOR and \
            get(second, "major_category") != get(first, "major_category"):
        problems.append(_l("A 专升本 second choice must be in the same major category as the "
                           "first (%(category)s).",
                           category=_label("major_category", get(first, "major_category"))))
    if (get(first, "school_code"), get(first, "major_code"), level) == \
            (get(second, "school_code"), get(second, "major_code"), second_level):
        problems.append(_l("The second choice repeats the first."))
    return problems


def _get(preference, key):
    """Preferences come as form dicts or as rows."""
    return preference.get(key) if isinstance(preference, dict) else getattr(preference, key)


# --- confirmation points ------------------------------------------------------------------


def age_reference_date(exam):
    """The day ages are counted on: the exam's first day, or 1 September of the exam year
    when the exam office has not entered it yet (成人高考 is sat in October)."""
    return exam.exam_date or dt.date(exam.year, 9, 1)


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def is_minor(birth_date, exam):
    return age_on(birth_date, age_reference_date(exam)) < MINOR_AGE


def is_medical(major_category):
    return major_category in codes.MEDICAL_MAJOR_CATEGORIES


def served_levels(point):
    return {c.strip() for c in (point.serves_levels or "").split(",") if c.strip()}


def province_path(node):
    """``/410000/`` for any node of the tree (its path starts with the province's code)."""
    return "/" + node.path.strip("/").split("/")[0] + "/"


def point_refusal(point, province, level, minor, medical):
    """None when a candidate of ``level`` (minor / medical as given) may choose ``point``,
    else the translated reason. ``province``: the candidate's province path."""
    if point is None or point.kind != POINT or not point.active \
            or not point.path.startswith(province):
        return _l("This is not an active confirmation point of your province.")
    levels = served_levels(point)
    if levels and level not in levels:
        return _l("%(point)s does not serve %(level)s candidates.", point=point.name,
                  level=_label("level", level))
    if minor and not point.for_minors:
        return _l("Candidates under %(age)d on the exam date must choose a point designated "
                  "for younger candidates; %(point)s is not one.", age=MINOR_AGE, point=point.name)
    if medical and not point.for_medical:
        return _l("Candidates for a medical major must choose a point designated for medical "
                  "candidates; %(point)s is not one.", point=point.name)
    return None


def point_requirements(candidate):
    """``(level, minor, medical)`` the point rules ask about, from the candidate's first
    preference; None before there is one (the point depends on it)."""
    first = next((p for p in candidate.preferences if p.seq == 1), None)
    if first is None:
        return None
    return first.level, is_minor(candidate.birth_date, candidate.exam), \
        is_medical(first.major_category)


def candidate_point_refusal(candidate, point):
    """:func:`point_refusal` for this candidate (None when ``point`` may be chosen)."""
    needs = point_requirements(candidate)
    if needs is None:
        return _l("Fill in your first preference before choosing a confirmation point.")
    return point_refusal(point, province_path(candidate.node), *needs)


def confirmation_problems(candidate):
    """What an adult candidate still lacks before confirming: a first preference, a set of
    preferences within the rules, and a chosen point that fits them."""
    prefs = list(candidate.preferences)
    if not any(p.seq == 1 for p in prefs):
        return [_l("Fill in your first preference.")]
    problems = list(preference_problems(candidate.category, prefs))
    if candidate.node is None or candidate.node.kind != POINT:
        problems.append(_l("Choose your confirmation point."))
    else:
        refusal = candidate_point_refusal(candidate, candidate.node)
        if refusal is not None:
            problems.append(_l("Your confirmation point does not fit your preferences: "
                               "%(reason)s Choose another.", reason=refusal))
    return problems
