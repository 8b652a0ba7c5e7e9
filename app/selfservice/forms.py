"""Parsing and checking the self-service forms: ``(values, errors)`` with translated errors."""
import datetime as dt

from flask_babel import lazy_gettext as _l

from .. import codes
from ..validators import (InvalidValue, validate_mobile, validate_name,
                                     validate_postcode)


def _text(form, key, limit):
    return " ".join((form.get(key) or "").split())[:limit + 1]


def _check(errors, key, fn, value):
    try:
        return fn(value)
    except InvalidValue as exc:
        errors[key] = exc.message
        return None


def _too_long(errors, key, value, limit):
    if value and len(value) > limit:
        errors[key] = _l("At most %(n)d characters.", n=limit)


def contact(form):
    errors, values = {}, {}
    phone = _text(form, "phone", 20)
    if not phone:
        errors["phone"] = _l("Enter your mobile number.")
    else:
        values["phone"] = _check(errors, "phone", validate_mobile, phone)
    address = _text(form, "address", 200)
    _too_long(errors, "address", address, 200)
    values["address"] = address or None
    postcode = _text(form, "postcode", 6)
    values["postcode"] = _check(errors, "postcode", validate_postcode, postcode) if postcode else None
    return values, errors


def guardian(form):
    errors, values = {}, {}
    values["name"] = _check(errors, "name", validate_name, _text(form, "name", 40))
    relation = form.get("relation") or ""
    if relation not in {c[0] for c in codes.GUARDIAN_RELATIONS}:
        errors["relation"] = _l("Choose the relation.")
    values["relation"] = relation
    phone = _text(form, "phone", 20)
    values["phone"] = _check(errors, "phone", validate_mobile, phone) if phone else None
    work_unit = _text(form, "work_unit", 100)
    _too_long(errors, "work_unit", work_unit, 100)
    values["work_unit"] = work_unit or None
    return values, errors


def _date(errors, key, value, required):
    value = (value or "").strip()
    if not value:
        if required:
            errors[key] = _l("Enter a date.")
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y.%m", "%Y/%m"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    errors[key] = _l("Enter a date as YYYY-MM or YYYY-MM-DD.")
    return None


def study(form):
    errors, values = {}, {}
    values["start"] = _date(errors, "start", form.get("start"), True)
    values["end"] = _date(errors, "end", form.get("end"), False)
    if values["start"] and values["end"] and values["end"] < values["start"]:
        errors["end"] = _l("The end of a study period cannot be before its start.")
    if values["start"] and values["start"] > dt.date.today():
        errors["start"] = _l("The start cannot be in the future.")
    school = _text(form, "school", 100)
    if not school:
        errors["school"] = _l("Enter the school.")
    _too_long(errors, "school", school, 100)
    values["school"] = school
    role = _text(form, "role", 50)
    _too_long(errors, "role", role, 50)
    values["role"] = role or None
    return values, errors
