"""Parts 1 (报名信息) and 7 (考试诚信记录) of the electronic archive, registered with
``archive.part`` when this module is imported (``archive_views`` imports it).

* **Registration**: MISSING without a row, ENTERED once entered, CONFIRMED once the point or
  county office confirmed it.
* **Integrity records** are not a requirement: a candidate without any is NOT_REQUIRED
  (nothing to record), one with records is CONFIRMED: a record is entered by the county or
  city office only after the decision (国家教育考试违规处理办法, seed 002 §四.6: the exam office
  verifies, decides and records), so an entered record is already the confirmed fact. Either
  way the part never keeps an archive from being complete; the archive page shows the records.
"""
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import exists, func, select

from .. import codes as candidate_codes
from ..extensions import db
from . import archive, codes
from .models import IntegrityRecord
from .registration_models import GaokaoRegistration
from .registration_rules import CONFIRMED


def _registration_sql(cid):
    row = GaokaoRegistration.candidate_id == cid
    return archive.state_case(
        (exists().where(row, GaokaoRegistration.state == CONFIRMED), archive.CONFIRMED),
        (exists().where(row), archive.ENTERED))


def _registration_states(ids):
    rows = db.session.execute(select(GaokaoRegistration.candidate_id, GaokaoRegistration.state)
                              .where(GaokaoRegistration.candidate_id.in_(ids))).all()
    return {cid: archive.CONFIRMED if state == CONFIRMED else archive.ENTERED
            for cid, state in rows}


def registration_of(candidate):
    return db.session.execute(select(GaokaoRegistration).where(
        GaokaoRegistration.candidate_id == candidate.id)).scalar_one_or_none()


def _registration_link(candidate):
    found = registration_of(candidate)
    if found is None:
        return url_for("GaokaoRegistrationView.add", _flt_0_candidate=candidate.id)
    return url_for("GaokaoRegistrationView.show", pk=found.id)


def _registration_summary(candidate):
    found = registration_of(candidate)
    if found is None:
        return None
    return "；".join(str(x) for x in (
        _l("Registration number %(number)s", number=found.registration_number),
        found.exam_type_label, found.application_kind_label, found.fee_state_label) if x)


def _integrity_sql(cid):
    return archive.state_case(
        (exists().where(IntegrityRecord.candidate_id == cid), archive.CONFIRMED),
        default=archive.NOT_REQUIRED)


def _integrity_states(ids):
    found = db.session.execute(select(IntegrityRecord.candidate_id).where(
        IntegrityRecord.candidate_id.in_(ids)).distinct()).scalars().all()
    states = {cid: archive.NOT_REQUIRED for cid in ids}
    states.update({cid: archive.CONFIRMED for cid in found})
    return states


def _integrity_link(candidate):
    return url_for("IntegrityRecordView.list", _flt_0_candidate=candidate.id)


def _integrity_summary(candidate):
    rows = db.session.execute(select(IntegrityRecord.kind, func.count()).where(
        IntegrityRecord.candidate_id == candidate.id).group_by(IntegrityRecord.kind)).all()
    if not rows:
        return str(_l("No violation recorded."))
    total = sum(n for _kind, n in rows)
    kinds = "、".join(candidate_codes.label(codes.VIOLATION_KINDS, k, lang=None, default=k)
                     for k, _n in rows)
    return ngettext("%(num)d record: %(kinds)s", "%(num)d records: %(kinds)s", total,
                    kinds=kinds)


archive.part("registration", _registration_states, _registration_link, _registration_summary,
             state_sql=_registration_sql)
archive.part("integrity", _integrity_states, _integrity_link, _integrity_summary,
             state_sql=_integrity_sql)
