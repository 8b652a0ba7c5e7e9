"""Pure validators for the candidate record (考生信息).

Every ``validate_x(value)`` returns the normalised value or raises :class:`InvalidValue`
with a stable ``code`` (for tests, APIs and logs) and a lazily translated ``message``.
Messages never echo a full ID number, so they are safe to log.
"""
import re
import unicodedata
from datetime import date, datetime
from operator import mul
from time import monotonic
from zoneinfo import ZoneInfo

from flask_babel import LazyString, lazy_gettext as _l
from wtforms.validators import ValidationError as WTFormsValidationError

from .refusals import BadInput, message_text  # noqa: F401  (message_text re-exported)
from . import codes
from .codes import gender_mf

#: First two digits of a GB/T 2260 division code: provinces, plus 71 台湾, 81 香港, 82 澳门.
PROVINCE_CODES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82)]
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_MIN_BIRTH = date(1900, 1, 1)
# Candidates and exam offices are in China; the server clock may be UTC.
_TZ = ZoneInfo("Asia/Shanghai")

_DIGITS6_RE = re.compile(r"[0-9]{6}")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")

NAME_DOT = "\u00b7"
# IMEs and OCR produce these instead of U+00B7; U+2027/U+FF65 come from Taiwanese and
# half-width Japanese input.
_DOT_LOOKALIKES = str.maketrans(dict.fromkeys("\u2022\u30fb\uff0e\u2027\uff65", NAME_DOT))
# Code points with Unicode's Unified_Ideograph property (blocks, so newly assigned rare
# characters are accepted before Python's unicodedata knows them).
_IDEOGRAPH_RANGES = (
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # URO
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EE5F),  # Extensions C, D, E, F, I
    (0x30000, 0x323AF),  # Extensions G, H
)
# The twelve unified ideographs inside the compatibility block (e.g. 﨑 U+FA11).
_IDEOGRAPH_EXTRA = frozenset(map(chr, (0xFA0E, 0xFA0F, 0xFA11, 0xFA13, 0xFA14, 0xFA1F,
                                       0xFA21, 0xFA23, 0xFA24, 0xFA27, 0xFA28, 0xFA29)))
NAME_MIN, NAME_MAX = 2, 20
# The same set as one character class: a whole name is checked in one regex call (the
# registry import validates a name and a guardian name per row).
_NAME_CHARS_RE = re.compile("[%s%s%s]+" % (
    "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _IDEOGRAPH_RANGES),
    "".join(sorted(_IDEOGRAPH_EXTRA)), NAME_DOT))


class InvalidValue(BadInput, ValueError):
    """A field failed validation; ``code`` is stable, ``message`` is a lazy string."""

    def __init__(self, code, message):
        super().__init__(message)
        self.args = (code, message)
        self.code = code


def _ascii(value):
    """Full-width digits/letters (common from Chinese IMEs) → ASCII; None → ''."""
    return unicodedata.normalize("NFKC", "" if value is None else str(value))


_TODAY = [float("-inf"), None]  # (monotonic time read, Beijing date)


def _today():
    # A zone-aware now() costs ~7 µs, a third of an import row's validation: the date is
    # read again once a second at most.
    tick = monotonic()
    if tick - _TODAY[0] >= 1:
        _TODAY[:] = [tick, datetime.now(_TZ).date()]
    return _TODAY[1]


# --- resident ID number (GB 11643-1999) ---------------------------------------------


def id_check_char(first17):
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _ID_CHECK[sum(map(mul, map(int, first17), _ID_WEIGHTS)) % 11]


def make_id_number(region6, birth, seq3):
    """A checksum-valid ID number, for demo data, tests and benchmarks.

    Only the shape of the inputs is checked, so callers can build IDs with a bad region
    on purpose; odd ``seq3`` gives a male, even a female.
    """
    if not _DIGITS6_RE.fullmatch(str(region6)):
        raise ValueError(f"region6 must be 6 digits: {region6!r}")
    if not 0 <= int(seq3) <= 999:
        raise ValueError(f"seq3 must be 0..999: {seq3!r}")
    body = f"{region6}{birth:%Y%m%d}{int(seq3):03d}"
    return body + id_check_char(body)


def validate_id_number(value, today=None):
    """Normalise (strip spaces, upper-case x, full-width → ASCII) and check an ID number."""
    # Registry files carry clean numbers: skip the normalisation when there is nothing to do.
    s = value if type(value) is str and _ID_RE.fullmatch(value) else \
        re.sub(r"\s+", "", _ascii(value)).upper()
    if len(s) != 18:
        raise InvalidValue("id_length", _l(
            "ID number must be 18 characters long, not %(n)d.", n=len(s)))
    if not _ID_RE.fullmatch(s):
        raise InvalidValue("id_format", _l(
            "ID number must be 17 digits followed by a digit or X."))
    if s[:2] not in PROVINCE_CODES:
        raise InvalidValue("id_region", _l(
            "ID number starts with an unknown province code (%(code)s).", code=s[:2]))
    return _gb11643_rest(s, today)


def _gb11643_rest(s, today=None):
    """The birth date and check digit of an 18-character GB 11643 number."""
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        birth = None
    if birth is None or not _MIN_BIRTH <= birth <= (today or _today()):
        raise InvalidValue("id_birthdate", _l(
            "The birth date in the ID number is not a valid date."))
    if s[17] != id_check_char(s[:17]):
        raise InvalidValue("id_checksum", _l(
            "ID number check digit is wrong; please check for a typing error."))
    return s


#: 港澳台居民居住证 numbers: GB 11643 with these "regions" (香港, 澳门, 台湾).
PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})
_HKMO_PERMIT_RE = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TW_PERMIT_RE = re.compile(r"[0-9]{8}(?:[0-9]{2})?")
# Ordinary passports of the PRC: E + 8 digits, E + a letter (not I, O) + 7 digits, or the
# older G + 8 digits.
_CN_PASSPORT_RE = re.compile(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}")
_PASSPORT_RE = re.compile(r"[A-Z0-9]{5,17}")
#: document kinds whose number carries the holder's birth date and gender.
DERIVING_TYPES = frozenset({codes.ID_CARD, "2"})


def validate_document_number(id_type, value, today=None):
    """Normalise and check the number of a document of kind ``id_type`` (codes.ID_TYPES;
    None is the 居民身份证)."""
    kind = id_type or codes.ID_CARD
    if codes.label(codes.ID_TYPES, kind) is None:
        raise InvalidValue("id_type", _l("Unknown document type."))
    s = re.sub(r"\s+", "", _ascii(value)).upper()
    if kind == codes.ID_CARD:
        if s[:6] in PERMIT_REGIONS:
            raise InvalidValue("id_is_permit", _l(
                "This is the number of a residence permit for Hong Kong, Macao and Taiwan "
                "residents: choose that document type."))
        return validate_id_number(s, today)
    if not s:
        raise InvalidValue("doc_empty", _l("Enter the document number."))
    if kind == "2":
        if len(s) != 18 or not _ID_RE.fullmatch(s):
            raise InvalidValue("permit_format", _l(
                "A residence permit number has 18 characters: 17 digits and a digit or X."))
        if s[:6] not in PERMIT_REGIONS:
            raise InvalidValue("permit_region", _l(
                "A residence permit number starts with 810000 (Hong Kong), 820000 (Macao) "
                "or 830000 (Taiwan)."))
        return _gb11643_rest(s, today)
    if kind == "3" and not _HKMO_PERMIT_RE.fullmatch(s):
        raise InvalidValue("hkmo_permit_format", _l(
            "A mainland travel permit for Hong Kong and Macao residents is H or M followed "
            "by 8 digits (10 on older permits)."))
    if kind == "4" and not _TW_PERMIT_RE.fullmatch(s):
        raise InvalidValue("tw_permit_format", _l(
            "A mainland travel permit for Taiwan residents has 8 digits (10 on older "
            "permits)."))
    if kind == "5" and not _CN_PASSPORT_RE.fullmatch(s):
        raise InvalidValue("cn_passport_format", _l(
            "A Chinese passport number is E followed by 8 characters (E12345678 or "
            "EA1234567), or G followed by 8 digits."))
    if kind == "6" and not (_PASSPORT_RE.fullmatch(s) and re.search(r"[0-9]", s)):
        raise InvalidValue("passport_format", _l(
            "A passport number has 5 to 17 letters and digits, at least one of them a "
            "digit."))
    return s


def check_document_consistency(id_type, number, birth_date=None, gender=None):
    """check_id_consistency for the documents whose number carries birth date and gender;
    the others carry neither, so the entered values stand."""
    if (id_type or codes.ID_CARD) in DERIVING_TYPES:
        check_id_consistency(number, birth_date, gender)


def _gb11643(number):
    """An 18-character GB 11643 number (ID card or residence permit), checked."""
    s = re.sub(r"\s+", "", _ascii(number)).upper()
    return _gb11643_rest(s) if s[:6] in PERMIT_REGIONS and _ID_RE.fullmatch(s) \
        else validate_id_number(s)


def id_birth_date(id_number):
    s = _gb11643(id_number)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def id_gender(id_number):
    """'M' or 'F' from the sequence code's last digit (odd = male)."""
    return "M" if int(_gb11643(id_number)[16]) % 2 else "F"


def check_id_consistency(id_number, birth_date=None, gender=None):
    """Raise if the entered birth date / gender contradict the ID number.

    ``gender`` may be 'M'/'F' or a GENDERS code '1'/'2'; None skips that check.
    """
    if birth_date is not None:
        if isinstance(birth_date, datetime):
            birth_date = birth_date.date()
        if id_birth_date(id_number) != birth_date:
            raise InvalidValue("id_birth_mismatch", _l(
                "The birth date does not match the ID number."))
    if gender is not None and id_gender(id_number) != gender_mf(gender):
        raise InvalidValue("id_gender_mismatch", _l(
            "The gender does not match the ID number."))


def mask_id_number(value):
    """'4101**********1234'; values too short to hide 7+ characters are masked entirely."""
    s = re.sub(r"\s+", "", "" if value is None else str(value))
    if len(s) < 15:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


# --- administrative division code (GB/T 2260) ---------------------------------------


def division_prefix(code):
    """The significant prefix: '410000' → '41', '410100' → '4101', '410102' → '410102'."""
    p = str(code).strip()
    while len(p) > 2 and p.endswith("00"):
        p = p[:-2]
    return p


def validate_division_code(code, parent_prefix=None):
    """A 6-digit division code; with ``parent_prefix`` (a parent code such as '410100' or
    its prefix '4101') it must lie strictly inside that parent."""
    s = re.sub(r"\s+", "", _ascii(code))
    if not _DIGITS6_RE.fullmatch(s):
        raise InvalidValue("division_format", _l(
            "Division code must be 6 digits."))
    if s[:2] not in PROVINCE_CODES:
        raise InvalidValue("division_region", _l(
            "Division code starts with an unknown province code (%(code)s).", code=s[:2]))
    if parent_prefix:
        parent = re.sub(r"\s+", "", _ascii(parent_prefix))
        if s == parent or not s.startswith(division_prefix(parent)):
            raise InvalidValue("division_outside", _l(
                "Division code %(code)s is not inside %(parent)s.", code=s, parent=parent))
    return s


# --- contact details ----------------------------------------------------------------


def validate_mobile(value):
    """Mainland mobile number, returned as 11 bare digits."""
    s = re.sub(r"[\s\-]+", "", _ascii(value))
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):]
            break
    else:
        if len(s) == 13 and s.startswith("86"):
            s = s[2:]
    if not _MOBILE_RE.fullmatch(s):
        raise InvalidValue("mobile_format", _l(
            "Enter an 11-digit mainland mobile number starting with 13–19."))
    return s


def validate_postcode(value):
    s = re.sub(r"\s+", "", _ascii(value))
    if not _DIGITS6_RE.fullmatch(s):
        raise InvalidValue("postcode_format", _l("Postcode must be 6 digits."))
    return s


# --- personal name ------------------------------------------------------------------


def _is_ideograph(ch):
    cp = ord(ch)
    return ch in _IDEOGRAPH_EXTRA or any(lo <= cp <= hi for lo, hi in _IDEOGRAPH_RANGES)


def validate_name(value):
    """A Chinese name as on the ID card; minority names use '·' (e.g. 阿卜杜拉·买买提).

    Deliberately no NFKC: it would rewrite some rare characters the ID card spells that way.
    """
    s = ("" if value is None else str(value)).strip().translate(_DOT_LOOKALIKES)
    if not NAME_MIN <= len(s) <= NAME_MAX:
        raise InvalidValue("name_length", _l(
            "Name must be %(min)d to %(max)d characters long.", min=NAME_MIN, max=NAME_MAX))
    if not _NAME_CHARS_RE.fullmatch(s):
        bad = next(ch for ch in s if ch != NAME_DOT and not _is_ideograph(ch))
        raise InvalidValue("name_chars", _l(
            "Name may only contain Chinese characters and the middle dot “·”; "
            "“%(char)s” is not allowed.", char=bad))
    if s[0] == NAME_DOT or s[-1] == NAME_DOT or NAME_DOT * 2 in s:
        raise InvalidValue("name_dot", _l(
            "The middle dot “·” must sit between two parts of the name."))
    return s


# --- 考生号 and other dates -----------------------------------------------------------

_CANDIDATE_NUMBER_RE = re.compile(r"[0-9A-Z]{1,20}")


def validate_candidate_number(value):
    """考生号 as the exam office assigns it: up to 20 digits or letters (no separators)."""
    s = re.sub(r"\s+", "", _ascii(value)).upper()
    if not _CANDIDATE_NUMBER_RE.fullmatch(s):
        raise InvalidValue("candidate_number_format", _l(
            "The candidate number (考生号) is 1 to 20 digits or letters."))
    return s


def validate_past_date(value, today=None):
    """A date that has already happened (work start, graduation): not before 1900, not
    after today, so a typing error such as 2062 for 2026 is caught."""
    if isinstance(value, datetime):
        value = value.date()
    if not _MIN_BIRTH <= value <= (today or _today()):
        raise InvalidValue("date_range", _l(
            "The date %(date)s lies in the future or before 1900.", date=value.isoformat()))
    return value


# --- fields of one exam kind ------------------------------------------------------------

#: Candidate fields recorded for some exam kinds only (高考 archive, 成人高考 registration);
#: every other field applies to all kinds. A field may belong to several kinds: 外语语种 and
#: 毕业学校 are 高考 archive items and also items of the 成人高考 registration (seed 004 lists
#: both among the basic information; the 成人高考 has a foreign-language paper).
EXAM_FIELDS = {
    codes.GAOKAO: ("subject_track", "foreign_language", "graduation_school"),
    codes.ADULT: ("education_level", "occupation", "work_start", "foreign_language",
                  "candidate_feature", "enrolment_type", "study_form", "graduation_school",
                  "graduation_date", "diploma_number", "medical_license", "remark"),
}
#: field → the exam kinds recording it, in EXAM_FIELDS order.
FIELD_KINDS = {}
for _kind, _fields in EXAM_FIELDS.items():
    for _field in _fields:
        FIELD_KINDS[_field] = FIELD_KINDS.get(_field, ()) + (_kind,)
del _kind, _fields, _field


def foreign_fields(exam_kind):
    """The exam-specific fields an exam of ``exam_kind`` does not record (all of them for a
    kind without fields of its own, such as 中招)."""
    return frozenset(f for f, kinds in FIELD_KINDS.items() if exam_kind not in kinds)


def _kinds_text(kinds):
    sep = "、" if codes._lang_index(None) == 1 else " / "
    return sep.join(str(codes.EXAM_KIND_LABELS.get(k, k)) for k in kinds)


def exam_kinds_label(kinds):
    """The names of ``kinds`` joined ('高考、成人高考'), in the language of the page showing
    them (lazy, for titles fixed at import time)."""
    return LazyString(_kinds_text, tuple(kinds))


def check_exam_field(exam_kind, field):
    """Raise unless ``field`` may hold a value for a candidate of an ``exam_kind`` exam."""
    owners = FIELD_KINDS.get(field)
    if owners is not None and exam_kind not in owners:
        raise InvalidValue("exam_field", _l(
            "This field is only recorded for %(owner)s candidates; this is a %(kind)s exam.",
            owner=exam_kinds_label(owners),
            kind=codes.EXAM_KIND_LABELS.get(exam_kind, exam_kind)))


# --- WTForms glue -------------------------------------------------------------------


def document_number_field(form, field):
    """WTForms validator of a document number: the rule of the type chosen in the form's
    ``id_type`` field (the 居民身份证 when the form has none)."""
    if field.data in (None, ""):
        return
    kind = getattr(getattr(form, "id_type", None), "data", None) or codes.ID_CARD
    try:
        field.data = validate_document_number(kind, field.data)
    except InvalidValue as exc:
        raise WTFormsValidationError(str(exc)) from exc


def form_validator(fn, **kwargs):
    """Adapt ``fn`` for a WTForms field: empty values pass (leave that to DataRequired),
    valid ones are written back normalised, errors become WTForms errors."""
    def _validate(form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = fn(field.data, **kwargs)
        except InvalidValue as exc:
            raise WTFormsValidationError(str(exc)) from exc

    return _validate
