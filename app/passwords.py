"""Password rules and login guards shared by staff and candidates (OWASP ASVS 2.1: length, a
check against common passwords, no composition rules; 等保 2.0: failed-login limits, session
timeouts).

Guessability is zxcvbn's estimate (PyPI ``zxcvbn``, the Dropbox estimator): it knows some
30,000 frequent passwords, English words and names, keyboard patterns (``qwer1234``,
``1qaz2wsx3edc``), sequences (``abcdefgh``), repeats and dates, and treats the words passed as
``user_inputs`` as one more dictionary. A score below 3 (roughly fewer than 10^8 guesses) is
refused. zxcvbn does not know Chinese context words, so the exam and site words below and the
person's own values (ID number, birth date, name and its pinyin) are passed as user inputs,
and a personal value of 4+ characters (2+ for Chinese characters) may not appear in the
password at all.
"""
import datetime as dt
import itertools
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 8
#: ASVS asks for at least 64; zxcvbn's matching grows with length, so it sees only this much.
MAX_LENGTH = 128
MIN_SCORE = 3
#: Words of this site and its exams: guessable for anyone who knows where the password is used.
CONTEXT_WORDS = ("kaosheng", "gaokao", "zhongkao", "chengkao", "zhaokao", "xuekao", "baoming",
                 "kaoshi", "zhaosheng", "henan", "hunan", "zhongguo", "woaini")
#: Passwords printed in README.md and app/demo.py: the first ones anybody would try.
PUBLISHED_PASSWORDS = ("Demo-2026-ks", "Kaosheng-Demo-2026")
_CJK = re.compile(r"[\u3400-\u9fff]")
_PINYIN_COMBINATIONS = 8  # heteronyms (单 dan/shan/chan…): enough readings, bounded work


def _has_cjk(value):
    return bool(_CJK.search(value))


def _pinyin_readings(text):
    """Toneless pinyin spellings of ``text`` (several when a character has several readings)."""
    # Imported on first use: loading its dictionaries takes ~0.15 s, needed only when a
    # candidate sets a password.
    from pypinyin import Style, pinyin

    syllables = pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not syllables:
        return []
    readings = set()
    for combo in itertools.islice(itertools.product(*syllables), _PINYIN_COMBINATIONS):
        spelled = "".join(combo).lower()
        readings.add(spelled)
        readings.add(spelled.replace("v", "u"))  # 吕: lv or lu, as people type it
    return sorted(readings)


def name_variants(name):
    """What a password derived from a Chinese name looks like: the name, the given name
    (when the name has 3+ characters), their pinyin, and the name's pinyin given-name-first
    (``wangfang``, ``fangwang``)."""
    name = "".join((name or "").split()).replace("·", "")
    if not name:
        return []
    variants = [name]
    if not _has_cjk(name):
        return variants
    given = name[1:] if len(name) >= 3 else ""
    if given:
        variants.append(given)
    variants += _pinyin_readings(name)
    if len(name) >= 2:
        variants += [g + s for s in _pinyin_readings(name[0])
                     for g in _pinyin_readings(name[1:])]
    if given:
        variants += _pinyin_readings(given)
    return list(dict.fromkeys(variants))


#: Administrative suffixes dropped to get the name people use (郑州市 → 郑州, 中原区 → 中原).
UNIT_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "示范区", "报名点", "省", "市", "县",
                 "区", "旗", "盟")


def place_variants(name):
    """A unit's name as a password might use it: the name, the name without its suffix, and
    their pinyin (郑州市 → zhengzhoushi, 郑州, zhengzhou)."""
    name = "".join((name or "").split())
    if not name:
        return []
    base = next((name[:-len(s)] for s in UNIT_SUFFIXES
                 if name.endswith(s) and len(name) > len(s) + 1), name)
    variants = [name, base]
    if _has_cjk(name):
        variants += _pinyin_readings(name) + _pinyin_readings(base)
    return list(dict.fromkeys(variants))


def _contains_personal(lowered, personal):
    for value in personal:
        value = str(value or "").lower()
        minimum = 2 if _has_cjk(value) else 4
        if len(value) >= minimum and (value in lowered or lowered in value):
            return True
    return False


def password_problems(password, personal=()):
    """Return a list of translated reasons ``password`` is unacceptable (empty if fine).

    ``personal``: the person's own values (ID number and its parts, birth date spellings,
    name variants from :func:`name_variants`, user name).
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        return [_l("The password must be at least %(n)d characters long.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_l("The password may have at most %(n)d characters.", n=MAX_LENGTH)]
    problems = []
    lowered = password.lower()
    personal = [str(v) for v in personal if v]
    if _contains_personal(lowered, personal):
        problems.append(
            _l("The password may not contain your ID number, birth date, name or user name."))
    elif any(p.lower() in lowered for p in PUBLISHED_PASSWORDS) or zxcvbn(
            password, user_inputs=[*CONTEXT_WORDS, *PUBLISHED_PASSWORDS, *personal]
    )["score"] < MIN_SCORE:
        problems.append(_l("This password is too common or too easy to guess (keyboard "
                           "patterns, sequences, repeated characters, dates, names); choose "
                           "another, for example a few unrelated words."))
    return problems


def staff_password_validator(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR hook: the baseline for any FAB form that sets a staff
    password; the staff screens (app/security_views.py) add the person's own values."""
    problems = password_problems(password)
    if problems:
        raise PasswordComplexityValidationError(" ".join(str(p) for p in problems))


# --- failed logins and session lifetime (staff and candidates) -------------------------------


def is_locked(locked_until, at):
    """Whether an account locked until ``locked_until`` is still locked at ``at``."""
    return locked_until is not None and locked_until > at


def count_failure(failures, at, max_failures, lock_minutes):
    """One more failed log-in: ``(failures, locked_until)``. The ``max_failures``-th failure in
    a row locks the account for ``lock_minutes`` (whatever address the attempts came from)
    and restarts the count; ``locked_until`` is None when this failure does not lock."""
    failures = (failures or 0) + 1
    if failures >= max_failures:
        return 0, at + dt.timedelta(minutes=lock_minutes)
    return failures, None


def session_expired(idle_for, age, idle_seconds, max_seconds):
    """Idle (``idle_for`` seconds since the last request) longer than ``idle_seconds``, or
    older than ``max_seconds`` however active: the absolute lifetime bounds what a stolen
    cookie kept alive by requests is worth."""
    return idle_for > idle_seconds or age > max_seconds
