"""Finding the face in a candidate photo (人脸检测) with OpenCV's Haar cascades.

The cascades ship inside the ``opencv-python-headless`` 4.x wheel (``cv2/data``), so nothing
is downloaded at run time (5.x no longer ships them). dlib's HOG detector (``dlib-bin``) found
the same faces on our evaluation set but one (the washed-out photo) and is faster, yet it gives
only a box: the eyes, tilt and head turn need its 68-point landmark model, which comes from
``face_recognition_models`` (a 100 MB source package) — see the README's photo section.

Everything here works on a numpy greyscale array and returns pixel geometry in that array's
coordinates; what the numbers mean for the notice is decided in ``measure`` and ``rules``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

# A web worker serves one request at a time; OpenCV's own thread pool would only compete
# with the other workers for the same cores.
cv2.setNumThreads(1)

FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADES = ("haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml")
MIN_FACE_PX = 28     # faces are first searched in a copy where the smallest is this big ...
REFINE_HEIGHT = 160  # ... then measured again, finely, around each face in a sharper copy
MIN_FACE_SHARE = 0.2   # smallest face box searched for, as a share of the picture height
ROLL_TRIES = (15, -15, 30, -30)  # a tilted head is found by turning the picture back
EYE_FACE_WIDTH = 72  # eyes are searched in the face scaled to this width
SAME_PERSON_IOU = 0.3  # overlapping boxes are one face found twice
LEVEL_AGAIN = 4.0    # degrees of eye-line tilt from which the eyes are searched again, level
COMPANION_SIZE = 0.5  # a second face at least this big (vs the largest) is a second person


@dataclass(frozen=True)
class Face:
    """A face in picture pixels. ``box`` is the upright cascade box (x, y, w, h) in the frame
    turned by ``roll`` degrees around ``pivot``; ``eyes`` are (x, y) centres in the picture,
    left then right as seen, or None when not both were found."""

    box: tuple[float, float, float, float]
    roll: float
    pivot: tuple[float, float]
    eyes: tuple[tuple[float, float], tuple[float, float]] | None

    @property
    def centre(self) -> tuple[float, float]:
        """The eye midpoint when known (what the eye sees as the face centre), else the box's."""
        if self.eyes:
            (lx, ly), (rx, ry) = self.eyes
            return (lx + rx) / 2, (ly + ry) / 2
        x, y, w, h = self.box
        return _unrotate((x + w / 2, y + h / 2), self.roll, self.pivot)

    @property
    def eye_roll(self) -> float:
        """Tilt of the eye line in degrees (positive: the right eye, as seen, is lower)."""
        if not self.eyes:
            return self.roll
        (lx, ly), (rx, ry) = self.eyes
        return math.degrees(math.atan2(ry - ly, rx - lx))


@lru_cache(maxsize=None)
def _cascade(name: str) -> cv2.CascadeClassifier:
    clf = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if clf.empty():  # a wheel without cv2/data (opencv 5.x) must fail loudly, not pass photos
        raise RuntimeError(f"OpenCV cascade {name} is missing; install opencv-python-headless 4.x")
    return clf


def _rotation(angle: float, pivot: tuple[float, float]) -> np.ndarray:
    return cv2.getRotationMatrix2D(pivot, angle, 1.0)


def _unrotate(point, angle, pivot):
    """Map a point of the picture turned by ``angle`` back into the picture."""
    if not angle:
        return point
    inv = cv2.invertAffineTransform(_rotation(angle, pivot))
    x, y = point
    return (inv[0, 0] * x + inv[0, 1] * y + inv[0, 2], inv[1, 0] * x + inv[1, 1] * y + inv[1, 2])


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


def _boxes(small: np.ndarray, min_share: float) -> list[tuple[int, int, int, int]]:
    size = round(min_share * small.shape[0])
    # Coarse steps (1.15) keep the search cheap; _refine measures the size finely afterwards.
    found = _cascade(FACE_CASCADE).detectMultiScale(
        small, scaleFactor=1.15, minNeighbors=3, minSize=(size, size))
    boxes = sorted((tuple(int(v) for v in b) for b in found), key=lambda b: -b[2])
    kept = []
    for b in boxes:  # one person found at two scales is one face
        if all(_iou(b, k) < SAME_PERSON_IOU for k in kept):
            kept.append(b)
    return [b for b in kept if b[2] >= COMPANION_SIZE * kept[0][2]]


def _find_eyes(gray: np.ndarray, box, roll: float, pivot):
    """Both eye centres in picture pixels, or None. Searched in the upper part of the box,
    one in each half, in the frame where the face is upright."""
    x, y, w, h = box
    frame = gray if not roll else cv2.warpAffine(gray, _rotation(roll, pivot), gray.shape[::-1])
    x0, y0 = max(0, int(x)), max(0, int(y + 0.15 * h))
    roi = frame[y0:int(y + 0.6 * h), x0:int(x + w)]
    if roi.size == 0:
        return None
    scale = EYE_FACE_WIDTH / max(1, roi.shape[1])
    roi = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    half = roi.shape[1] / 2
    for name in EYE_CASCADES:
        found = _cascade(name).detectMultiScale(roi, 1.15, 3, minSize=(10, 10),
                                                maxSize=(int(half), int(half)))
        centres = [(ex + ew / 2, ey + eh / 2, ew) for ex, ey, ew, eh in found]
        left = [c for c in centres if c[0] < half]
        right = [c for c in centres if c[0] >= half]
        if left and right:
            pick = [max(left, key=lambda c: c[2]), max(right, key=lambda c: c[2])]
            pts = [(x0 + cx / scale, y0 + cy / scale) for cx, cy, _w in pick]
            return tuple(_unrotate(p, roll, pivot) for p in pts)
    return None


def _refine(frame: np.ndarray, box):
    """The box measured again in 6% size steps in a window around the coarse one: the head
    height is derived from the box size, which the coarse 15% steps would quantise."""
    x, y, w, h = box
    x0, y0 = int(max(0, x - 0.4 * w)), int(max(0, y - 0.4 * h))
    roi = frame[y0:int(y + 1.4 * h), x0:int(x + 1.4 * w)]
    lo, hi = int(0.85 * w), int(1.2 * w) + 1
    found = _cascade(FACE_CASCADE).detectMultiScale(
        roi, scaleFactor=1.06, minNeighbors=3, minSize=(lo, lo), maxSize=(hi, hi))
    if not len(found):
        return box
    shifted = [(x0 + bx, y0 + by, bw, bh) for bx, by, bw, bh in found]
    return max(shifted, key=lambda b: _iou(b, box))


def find_faces(gray: np.ndarray, min_share: float = MIN_FACE_SHARE) -> list[Face]:
    """Every frontal human face, largest first, in ``gray``'s pixels.

    Searches a copy where a face of ``min_share`` of the height is ``MIN_FACE_PX`` high (the
    cascade misses smaller ones); when the upright picture has no face the copy is
    turned by each of ``ROLL_TRIES`` so a tilted head is still found (and measured as tilted
    rather than reported missing).
    """
    scale = min(1.0, MIN_FACE_PX / (min_share * gray.shape[0]))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # Upright first; then with the contrast stretched (a washed-out or dark picture); then
    # turned, for a tilted head.
    for roll, stretch in ((0, False), (0, True), *((r, False) for r in ROLL_TRIES)):
        frame = cv2.equalizeHist(small) if stretch else small
        boxes = _boxes(_turned(frame, roll), min_share)
        if boxes:
            break
    if not boxes:
        return []
    fine = min(1.0, REFINE_HEIGHT / gray.shape[0])
    sharp = cv2.resize(gray, None, fx=fine, fy=fine, interpolation=cv2.INTER_AREA)
    sharp = cv2.equalizeHist(sharp) if stretch else sharp
    sharp = _turned(sharp, roll)
    pivot = (gray.shape[1] / 2, gray.shape[0] / 2)
    faces = []
    for box in boxes:
        x, y, w, h = (v / fine for v in _refine(sharp, tuple(v * fine / scale for v in box)))
        centre = _unrotate((x + w / 2, y + h / 2), roll, pivot)
        # Turned about the face's own centre instead, the box stays over the face in the
        # picture, which is where crown, chin and background are measured.
        box = (centre[0] - w / 2, centre[1] - h / 2, w, h)
        faces.append(_level(gray, Face(box, float(roll), centre,
                                       _find_eyes(gray, box, roll, centre))))
    return faces


def _level(gray: np.ndarray, face: Face) -> Face:
    """The eye cascade places tilted eyes loosely (a 15° head reads ~8°): when the eye line
    is visibly tilted, look again with the face turned level around its centre."""
    if not face.eyes or abs(face.eye_roll - face.roll) < LEVEL_AGAIN:
        return face
    angle = face.roll + (face.eye_roll - face.roll)
    centre = face.centre
    x, y, w, h = face.box
    if face.roll:  # the box is upright in the turned frame: move it to the new pivot
        cx, cy = _rotate_point(centre, face.roll, face.pivot)
        x, y = x + centre[0] - cx, y + centre[1] - cy
    eyes = _find_eyes(gray, (x, y, w, h), angle, centre)
    return Face((x, y, w, h), angle, centre, eyes) if eyes else face


def _rotate_point(point, angle, pivot):
    m = _rotation(angle, pivot)
    return (m[0, 0] * point[0] + m[0, 1] * point[1] + m[0, 2],
            m[1, 0] * point[0] + m[1, 1] * point[1] + m[1, 2])


def _turned(img: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return img
    pivot = (img.shape[1] / 2, img.shape[0] / 2)
    return cv2.warpAffine(img, _rotation(angle, pivot), img.shape[::-1],
                          borderMode=cv2.BORDER_REPLICATE)
