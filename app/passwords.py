"""Password rules shared by staff and candidates (OWASP ASVS: length and a common-password
check, no composition rules). Personal values (ID number, birth date, name, username) may not
be the password or be contained in it."""
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
#: frequent passwords seen in Chinese and international leak lists.
COMMON_PASSWORDS = frozenset(
    """123456 123456789 12345678 1234567890 111111 000000 123123 666666 888888 112233
    11111111 88888888 12345678910 5201314 1314520 147258369 123321 654321 987654321 admin123
    password password1 passw0rd qwerty qwerty123 qwertyuiop abc123 abc12345 abcd1234 a123456
    a12345678 aa123456 123456a 123456aa 1qaz2wsx 1q2w3e4r 1q2w3e4r5t zxcvbnm asdfghjkl woaini
    woaini1314 iloveyou iloveyou1 admin@123 admin888 root123 test1234 welcome1 sunshine
    princess football baseball dragon monkey letmein trustno1 changeme p@ssw0rd p@ssword
    huang123 wang1234 zhang123 li123456 liu123456 chen123456 kaosheng kaosheng123
    gaokao2026 zhongkao2026 123qwe 123qweasd qweasdzxc 7758521 159357 147258 10086 12306""".split()
)


def password_problems(password, personal=()):
    """Return a list of translated reasons ``password`` is unacceptable (empty if fine)."""
    problems = []
    if len(password or "") < MIN_LENGTH:
        problems.append(_l("The password must be at least %(n)d characters long.", n=MIN_LENGTH))
        return problems
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(_l("This password is too common or too simple; choose another."))
    for value in personal:
        value = str(value or "").lower()
        if len(value) >= 4 and (value in lowered or lowered in value):
            problems.append(
                _l("The password may not contain your ID number, birth date, name or user name.")
            )
            break
    return problems


def staff_password_validator(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR hook for staff accounts."""
    problems = password_problems(password)
    if problems:
        raise PasswordComplexityValidationError(" ".join(str(p) for p in problems))
