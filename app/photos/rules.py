"""What a candidate photo (考生照片) must measure, as data: one row per rule, with its source.

Sources: the provincial registration notices (报名通知: frontal, bare-headed colour photo on
blue, 450×600 pixels, at least 300 dpi, JPEG of at most 30 KB, head about 2/3 of the height,
centred, no rescans); GA 461 (居民身份证制证用数字相片技术要求, the 2nd-generation ID photo:
frontal, eyes open, no tilt, even light, plain background); ICAO Doc 9303 part 3 and
ISO/IEC 19794-5 (full-frontal image: chin-to-crown 70–80% of the height, face centred,
roll within ±8°, yaw and pitch within ±5°, no over- or under-exposure, in focus).

``judge(values)`` turns the measured values (``measure.measure_portrait``) into Failures that
name the value, the required range and how to fix it, all at once. Rules with
``warn=True`` never refuse a photo: they are reported as warnings for a person to look at.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Failure:
    """One way a picture misses the spec. ``message`` is a lazy string (str() it where it is
    shown); measured rules also give the ``value``, the ``required`` range and a fix ``hint``."""

    code: str
    message: object
    value: str | None = None
    required: str | None = None
    hint: object = None


def _pct(v):
    return f"{v * 100:.0f}%"


def _pct1(v):
    return f"{v * 100:.1f}%"


def _deg(v):
    return f"{v:.1f}°"


def _num(v):
    return f"{v:.0f}"


def _dec(v):
    return f"{v:.2f}"


@dataclass(frozen=True)
class Rule:
    code: str
    what: object          # lazy label of the measured quantity
    low: float | None     # inclusive bounds; None: unbounded on that side
    high: float | None
    fmt: object           # value -> text
    hint: object          # lazy: how to fix it
    source: str
    absolute: bool = False  # judge |value| (offsets and angles either way)
    warn: bool = False

    def ok(self, value: float) -> bool:
        v = abs(value) if self.absolute else value
        return (self.low is None or v >= self.low) and (self.high is None or v <= self.high)

    def shown(self, value: float) -> str:
        return self.fmt(abs(value) if self.absolute else value)

    def required(self) -> str:
        f = self.fmt
        if self.absolute:
            return f"≤ {f(self.high)}" if self.low is None else f"{f(self.low)}–{f(self.high)}"
        if self.low is None:
            return f"≤ {f(self.high)}"
        if self.high is None:
            return f"≥ {f(self.low)}"
        return f"{f(self.low)}–{f(self.high)}"


HEAD_SHARE_TARGET = 2 / 3  # what the normaliser frames to: the notice's "about 2/3"

RULES = {r.code: r for r in (
    Rule("no_face", _l("Frontal human faces found"), 1, None, _num,
         _l("Photograph the candidate from the front, face uncovered and looking at the camera."),
         "notice (frontal portrait); GA 461"),
    Rule("several_faces", _l("Faces in the photo"), None, 1, _num,
         _l("Only the candidate may be in the photo."), "notice; GA 461"),
    Rule("head_height", _l("Head height (crown to chin) as share of the photo height"),
         0.55, 0.80, _pct,
         _l("Frame the head to about two thirds of the height: move closer if it is smaller, "
            "further away if larger."),
         "notice: about 2/3; ICAO 9303 / ISO/IEC 19794-5: 70–80%"),
    Rule("head_cut", _l("Space above the head (share of the photo height)"), 0.01, None, _pct,
         _l("Leave a little space above the hair: the whole head must be in the photo."),
         "GA 461 / ISO/IEC 19794-5: the whole head, hair included, is in the picture"),
    Rule("off_centre", _l("Horizontal offset of the face centre from the middle"),
         None, 0.05, _pct, _l("Centre the face horizontally."),
         "notice: centred; ISO/IEC 19794-5: centre line ±5% of the width", absolute=True),
    Rule("head_tilted", _l("Tilt of the eye line"), None, 8.0, _deg,
         _l("Hold the head upright, eyes level."), "GA 461: no tilt; ISO/IEC 19794-5: roll ±8°",
         absolute=True),
    Rule("not_frontal",
         _l("Head turn (eye midpoint off the middle of the head, share of its width)"),
         None, 0.08, _pct, _l("Face the camera squarely; do not turn the head."),
         "notice: frontal; ISO/IEC 19794-5: yaw ±5° (≈4% here)", absolute=True),
    Rule("eyes_not_visible", _l("Both eyes found"), 1, None, _num,
         _l("Keep both eyes open and visible: no hair, hat, sunglasses or glare over them."),
         "GA 461: eyes open; ICAO 9303: eyes visible"),
    Rule("background_not_blue", _l("Blue share of the background beside and above the head"),
         0.85, None, _pct, _l("Use a plain blue background behind the candidate."),
         "notice: blue background"),
    Rule("background_uneven", _l("Brightness spread of the background"), None, 20.0, _num,
         _l("Use an evenly lit, plain background without shadows or objects."),
         "GA 461: plain background; ICAO 9303: uniform, no shadows"),
    Rule("exposure", _l("Mean brightness of the face (0–255)"), 60.0, 215.0, _num,
         _l("Light the face evenly: neither too dark nor washed out."),
         "GA 461: even light; ICAO 9303: no over- or under-exposure"),
    Rule("blurred", _l("Sharpness of the face (Laplacian variance)"), 40.0, None, _num,
         _l("Hold the camera still and focus on the face."), "ICAO 9303: in focus, no blur"),
    Rule("rescan_suspected", _l("Print screen pattern (moiré) strength"), None, 0.9, _dec,
         _l("Take a new photo of the candidate; do not scan or photograph a printed photo."),
         "notice: no rescans", warn=True),
)}

#: What an ID document image (证件扫描件, 800×600) must show, measured by ``card.measure_card``.
#: Sources: the notice (a clear colour scan of the whole document); ISO/IEC 7810 (ID-1 card,
#: 85.6 × 54 mm: the 2nd-generation 居民身份证). The bounds on tilt, fill and centring are
#: ours: what a reader needs to read the card at 800×600 (the normaliser levels, centres and
#: crops to them).
CARD_RULES = {r.code: r for r in (
    Rule("no_card", _l("Documents found in the picture"), 1, None, _num,
         _l("Lay the whole document on a plain, darker or lighter surface and photograph it "
            "from above."), "notice: a scan of the whole document"),
    Rule("several_cards", _l("Documents in the picture"), None, 1, _num,
         _l("Put only the one document in the picture."), "notice: one document"),
    Rule("card_cut", _l("Space between the document and the picture's edge (share of the width)"),
         0.005, None, _pct1, _l("Keep the whole document inside the picture, corners included."),
         "notice: the whole document; ISO/IEC 7810 (ID-1 outline)"),
    Rule("card_tilted", _l("Tilt of the document"), None, 3.0, _deg,
         _l("Lay the document straight, its edges parallel to the picture's."),
         "ours: a scan is level (the normaliser levels it)", absolute=True),
    Rule("card_small", _l("Size of the document (share of the picture's width or height)"),
         0.5, None, _pct, _l("Photograph the document closer so it fills most of the picture."),
         "ours: legible at 800×600 (ID-1 text ≥ 1.5 mm)"),
    Rule("card_off_centre", _l("Offset of the document from the middle (share of the picture)"),
         None, 0.10, _pct, _l("Centre the document in the picture."),
         "ours: centred (the normaliser centres it)", absolute=True),
    Rule("card_blurred", _l("Sharpness of the document's print (Laplacian variance)"), 100.0, None,
         _num, _l("Hold the camera still and focus on the document."),
         "notice: a clear scan"),
)}
#: Card rules a level crop fixes; the others make the normaliser refuse.
FIXED_BY_LEVELLING = frozenset({"card_tilted", "card_small", "card_off_centre"})

# Rules a crop around the face can fix; the others make the normaliser refuse.
FIXED_BY_CROPPING = frozenset({"head_height", "head_cut", "off_centre"})


def failure(rule: Rule, value: float) -> Failure:
    shown = rule.shown(value)
    return Failure(rule.code, _l("%(what)s: %(value)s, required %(required)s. %(hint)s",
                                 what=rule.what, value=shown, required=rule.required(),
                                 hint=rule.hint),
                   value=shown, required=rule.required(), hint=rule.hint)


def judge(values: dict[str, float], table=None) -> tuple[list[Failure], list[Failure]]:
    """(refusals, warnings) for the measured ``values`` by the rules of ``table`` (RULES, or
    CARD_RULES for an ID document); a rule not measured is not judged (no face: the face
    rules; a head filling the picture: the background)."""
    refusals, warnings = [], []
    for code, rule in (RULES if table is None else table).items():
        if code in values and not rule.ok(values[code]):
            (warnings if rule.warn else refusals).append(failure(rule, values[code]))
    return refusals, warnings
