"""Finding the ID document (证件) in a scan or phone photo, with OpenCV.

A card is told from what it lies on by colour: the picture is scaled to ``WORK_SIDE`` pixels
(long side) and blurred, so print, text and desk grain melt away, and every pixel that differs
from the colour of the picture's border ring (the desk or scanner bed: its median) by more than
the ring's own spread is "document". Each outer blob of that mask (``RETR_EXTERNAL``: the
portrait and text inside a card are no second card) is measured with its minimum-area
rectangle; a blob counts as a document when it fills that rectangle (a convex quadrilateral,
rounded corners allowed) and its sides have a document's proportions: ID-1 (85.6 × 54 mm,
ratio 1.586, ISO/IEC 7810; the 2nd-generation 居民身份证), a passport page (ID-3, 1.42) or
a sheet (1.41) — anything from ``ASPECT`` — or when it is cut by the picture's edge, where the
visible part has no fixed proportions.

Limits: a card the colour of its background (a white card on white paper) is not found; a
scan cropped exactly at the card's edge has no background to tell it from and reads as cut
off; a card turned more than 45° is read as standing on its side (its tilt is measured from
the side nearest the horizontal). Perspective is not corrected: the rectangle is what is
levelled and cropped. What the numbers mean for the spec is decided in ``rules.CARD_RULES``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 400        # the picture is searched at this long side (pixels)
BORDER = 3             # width of the border ring whose colour is the background's
MIN_DISTANCE = 14.0    # RGB distance from the background that is always "document" ...
SPREAD_FACTOR = 3.0    # ... or this many times the ring's median distance, when larger
MIN_AREA = 0.02        # a blob smaller than this share of the picture is no document
MIN_FILL = 0.85        # share of its minimum-area rectangle a document's blob fills
ASPECT = (1.15, 2.1)   # long side / short side of a document (ID-1 1.586, ID-3 1.42, A4 1.41)
SHARPNESS_WIDTH = 300  # the card's print is judged at this card width
EDGE = 1               # a blob within this many work pixels of the edge is cut by it


@dataclass(frozen=True)
class Card:
    """A document in the searched picture's pixels: ``centre``, ``size`` (width along the
    side nearest the horizontal, height across it), ``tilt`` in degrees (positive:
    anticlockwise as seen, like ``Image.rotate``), ``gap`` (pixels between the blob and the
    picture's nearest edge, 0 when cut) and ``frame`` (the picture's width, height)."""

    centre: tuple[float, float]
    size: tuple[float, float]
    tilt: float
    gap: float
    frame: tuple[int, int]

    def scaled(self, factor: float) -> Card:
        """The same card in a picture ``factor`` times bigger."""
        return Card((self.centre[0] * factor, self.centre[1] * factor),
                    (self.size[0] * factor, self.size[1] * factor), self.tilt,
                    self.gap * factor,
                    (round(self.frame[0] * factor), round(self.frame[1] * factor)))


def work_copy(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """``rgb`` scaled so its long side is WORK_SIDE (never up), and the factor back."""
    h, w = rgb.shape[:2]
    factor = max(w, h) / WORK_SIDE
    if factor <= 1:
        return rgb, 1.0
    small = cv2.resize(rgb, (max(1, round(w / factor)), max(1, round(h / factor))),
                       interpolation=cv2.INTER_AREA)
    return small, factor


def _ring(rgb: np.ndarray) -> np.ndarray:
    """The pixels of the picture's border ring, as rows of RGB."""
    return np.concatenate([rgb[:BORDER].reshape(-1, 3), rgb[-BORDER:].reshape(-1, 3),
                           rgb[:, :BORDER].reshape(-1, 3), rgb[:, -BORDER:].reshape(-1, 3)])


def surface_colour(rgb: np.ndarray) -> np.ndarray:
    """The colour of what the document lies on: the median of the border ring."""
    return np.median(_ring(rgb), axis=0)


def document_mask(rgb: np.ndarray) -> np.ndarray:
    """255 where the (work-size) picture differs from the colour of its border ring."""
    blurred = cv2.GaussianBlur(rgb, (5, 5), 0).astype(np.float32)
    ring = _ring(blurred)
    background = np.median(ring, axis=0)
    spread = float(np.median(np.linalg.norm(ring - background, axis=1)))
    distance = np.linalg.norm(blurred - background, axis=2)
    mask = (distance > max(MIN_DISTANCE, SPREAD_FACTOR * spread)).astype(np.uint8) * 255
    kernel = np.ones((5, 5), np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def _level(rect) -> tuple[float, tuple[float, float]]:
    """(tilt, (width, height)) of a minAreaRect, measured from its side nearest the horizontal
    (tilt in (-45°, 45°], positive anticlockwise as seen with y pointing down)."""
    points = cv2.boxPoints(rect)
    (x0, y0), (x1, y1), (x2, y2) = points[0], points[1], points[2]
    sides = [((x1 - x0, y1 - y0), math.hypot(x1 - x0, y1 - y0)),
             ((x2 - x1, y2 - y1), math.hypot(x2 - x1, y2 - y1))]
    angles = [math.degrees(math.atan2(-dy, dx)) for (dx, dy), _len in sides]
    folded = [((a + 90) % 180) - 90 for a in angles]  # a side has no direction
    i = 0 if abs(folded[0]) <= abs(folded[1]) else 1
    tilt = folded[i]
    if tilt == -45.0:
        tilt = 45.0
    return tilt, (sides[i][1], sides[1 - i][1])


def _as_card(contour, w, h) -> Card | None:
    area = cv2.contourArea(contour)
    if area < MIN_AREA * w * h:
        return None
    rect = cv2.minAreaRect(contour)
    rw, rh = rect[1]
    if rw * rh <= 0 or area / (rw * rh) < MIN_FILL:
        return None
    x, y, bw, bh = cv2.boundingRect(contour)
    gap = float(min(x, y, w - (x + bw), h - (y + bh)))
    ratio = max(rw, rh) / min(rw, rh)
    if gap >= EDGE and not ASPECT[0] <= ratio <= ASPECT[1]:
        return None
    tilt, size = _level(rect)
    return Card((float(rect[0][0]), float(rect[0][1])), size, tilt, gap, (w, h))


def find_cards(rgb: np.ndarray) -> list[Card]:
    """Every document in ``rgb`` (H×W×3, any size), largest first, in ``rgb``'s pixels."""
    small, factor = work_copy(rgb)
    h, w = small.shape[:2]
    contours, _hier = cv2.findContours(document_mask(small), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
    cards = [c for c in (_as_card(contour, w, h) for contour in contours) if c is not None]
    cards.sort(key=lambda c: -c.size[0] * c.size[1])
    return [c.scaled(factor) if factor != 1 else c for c in cards]


def sharpness(rgb: np.ndarray, card: Card) -> float:
    """Laplacian variance of the card's middle (its print), scaled so the whole card would be
    SHARPNESS_WIDTH pixels wide: the same card measures alike in any picture size."""
    cx, cy = card.centre
    half_w, half_h = card.size[0] * 0.35, card.size[1] * 0.35
    x0, x1 = max(0, int(cx - half_w)), min(rgb.shape[1], int(cx + half_w))
    y0, y1 = max(0, int(cy - half_h)), min(rgb.shape[0], int(cy + half_h))
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    if grey.size == 0:
        return 0.0
    scale = SHARPNESS_WIDTH / max(1.0, card.size[0])
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def measure_card(rgb: np.ndarray) -> tuple[dict[str, float], list[Card]]:
    """The values ``rules.CARD_RULES`` judge (rule code -> value) and the cards found. With
    no card or several, only the count is measured."""
    cards = find_cards(rgb)
    values = {"no_card": len(cards), "several_cards": len(cards)}
    if len(cards) != 1:
        return values, cards
    card = cards[0]
    w, h = card.frame
    values.update({
        "card_cut": card.gap / w,
        "card_tilted": card.tilt,
        "card_small": max(card.size[0] / w, card.size[1] / h),
        "card_off_centre": max(abs(card.centre[0] - w / 2) / w, abs(card.centre[1] - h / 2) / h),
        "card_blurred": sharpness(rgb, card),
    })
    return values, cards
