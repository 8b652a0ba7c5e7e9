"""Check results as rows (检测结果): what ``check_photo`` measured, in one shape for the three
places that show it — the JSON answer to capture.js, the JSON kept with each stored picture
(``CandidatePhoto.checks``), and the tables beside the photo on the capture, self-service and
review pages.

A row is ``[code, value, required, ok, warn]`` (plain JSON: value and range are the texts the
checks produced); labels and fix hints are looked up by code when shown, so they follow the
reader's language and today's wording. Pure data: no database, no request.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .rules import CARD_RULES, RULES

#: Every measured rule by code: the photo's and the ID document's (their codes differ).
MEASURED = {**RULES, **CARD_RULES}

#: The file rules' labels and hints (their values come from ``checks.file_measurements``).
FILE_RULES = {
    "wrong_size": (_l("Pixel size"), _l("Let the system crop and scale it (upload the original).")),
    "dpi_low": (_l("Resolution"), _l("Save the file with a resolution of 300 dpi.")),
    "dpi_missing": (_l("Resolution"), _l("Save the file with a resolution of 300 dpi.")),
    "file_too_large": (_l("File size"), _l("Save with stronger JPEG compression.")),
    "exif_rotated": (_l("EXIF orientation"), _l("Save the picture upright.")),
    "greyscale": (_l("Colour"), _l("Take a colour photo.")),
}
#: Problems that are no rule of a stored file, offered by the review list's photo filter.
NO_PHOTO, UNCHECKED = "no_photo", "unchecked"
EXTRA_PROBLEMS = {NO_PHOTO: _l("No photo"),
                  UNCHECKED: _l("Not checked yet (stored before the checks were kept)")}


def label(code):
    """What the rule ``code`` measures (the failure's code itself for one without a rule)."""
    if code in MEASURED:
        return MEASURED[code].what
    return FILE_RULES[code][0] if code in FILE_RULES else code


def hint(code):
    if code in MEASURED:
        return MEASURED[code].hint
    return FILE_RULES[code][1] if code in FILE_RULES else None


def problem_choices():
    """{code: label} of every photo problem the review list filters by."""
    rules = {code: rule.what for code, rule in RULES.items()}
    files = {code: lbl for code, (lbl, _h) in FILE_RULES.items() if code != "dpi_missing"}
    return {**EXTRA_PROBLEMS, **rules, **files}


def rows(measurements, failures=(), warnings=(), skip=()):
    """Rows for a report: every failure (with its value and range), every warning, then the
    measurements that passed; codes in ``skip`` are left out of the passing ones (a camera
    frame's size and dpi, which saving fixes)."""
    out, seen = [], set()
    for f, warn in [*((f, False) for f in failures), *((w, True) for w in warnings)]:
        if f.code in seen:
            continue
        seen.add(f.code)
        shown = measurements.get("dpi_low" if f.code == "dpi_missing" else f.code)
        value = f.value if f.value is not None else (shown[0] if shown else None)
        required = f.required if f.required is not None else (shown[1] if shown else None)
        out.append([f.code, value, required, False, warn])
    for code, (value, required, ok) in measurements.items():
        if code in seen or code in skip or (code == "dpi_low" and "dpi_missing" in seen):
            continue
        out.append([code, value, required, bool(ok), False])
    return out


def stored(report_rows):
    """The JSON kept with a picture: ``{"ok", "rows"}`` (ok: nothing refused it)."""
    return {"ok": not any(not ok and not warn for _c, _v, _r, ok, warn in report_rows),
            "rows": report_rows}


def problems(checks):
    """{code: warn} of the rules a stored picture's ``checks`` fail or warn on."""
    return {code: bool(warn) for code, _v, _r, ok, warn in (checks or {}).get("rows", ())
            if not ok}


def shown(report_rows, messages=None):
    """Rows as dicts for a page or the JSON answer, with the label and, where it fails, the
    fix hint (``messages``: code -> the failure's own message, the label of a refusal that is
    no rule: a face too small to crop, a locked record)."""
    messages = messages or {}
    out = []
    for code, value, required, ok, warn in report_rows:
        known = code in MEASURED or code in FILE_RULES
        tip = hint(code) if not ok else None
        out.append({"code": code, "label": str(label(code) if known else messages.get(code, code)),
                    "value": value, "required": required, "ok": bool(ok), "warn": bool(warn),
                    "hint": str(tip) if tip else None})
    return out
