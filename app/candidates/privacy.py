"""Who sees full ID numbers: data-entry and administrative roles; reviewers and auditors see
them masked (4101**********1234), as GB/T 35273 asks for roles that do not need them."""
from flask import g, has_request_context

from ..security import ADMIN_ROLES, EXAM_CLERK, POINT_STAFF, SCHOOL_STAFF
from ..validators import mask_id_number

FULL_ID_ROLES = frozenset({*ADMIN_ROLES, SCHOOL_STAFF, POINT_STAFF, EXAM_CLERK})


def sees_full_id(user):
    return user is not None and any(r.name in FULL_ID_ROLES for r in getattr(user, "roles", []))


def display_id_number(value):
    user = getattr(g, "user", None) if has_request_context() else None
    return value if sees_full_id(user) else mask_id_number(value)
