"""Hooks other features attach to printing."""


def registration_printed(candidate):
    """Called each time a candidate's 报名登记表 is printed (single or batch): the review
    workflow marks a confirmed record printed, which staff then mark signed (and locked).
    Idempotent: only the first print of a confirmed record changes it."""
    from ..review.workflow import mark_printed

    mark_printed(candidate)
