"""诚信考试承诺书: the integrity pledge a 成人高考 candidate accepts when confirming online
(seed 004: "签订诚信考试承诺书"). The acceptance time and this version go to the audit log."""
from flask_babel import lazy_gettext as _l

#: Bump when the wording changes: the audit row names the version the candidate accepted.
PLEDGE_VERSION = "2026-1"
PLEDGE_TITLE = _l("Integrity pledge for the examination")
PLEDGE_ITEMS = (
    _l("I have read the rules on registration and examination of the adult higher education "
       "entrance examination and will abide by them."),
    _l("The information and documents I provide are true and accurate. If anything is false, "
       "I bear the consequences, up to the cancellation of my registration, results or "
       "admission."),
    _l("I will sit the examination in person and honestly: I will not cheat, let anyone sit "
       "the examination for me, or help others to cheat."),
    _l("I accept that any violation is handled under the Measures for Handling Violations in "
       "National Education Examinations and recorded in my examination integrity file."),
)
PLEDGE_ACCEPT = _l("I have read the integrity pledge and promise to abide by it.")
