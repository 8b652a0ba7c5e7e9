"""Hooks other features attach to printing."""
from ..review.workflow import mark_printed


def registration_printed(candidate):
    """Called each time a candidate's 报名登记表 is printed (single or batch), before rendering:
    the review workflow records which version of a confirmed record the paper shows; staff
    may mark it signed (and locked) only while that version is current. Reprinting an
    unchanged record changes nothing."""
    mark_printed(candidate)
