"""Portraits made from a real face for the photo tests and the evaluation set, an ID-card scan,
and ``encode()`` to turn either into a file's bytes.

``tests/data/photos`` holds scikit-image's sample pictures (see SOURCES.md there: public
domain / CC0): the astronaut Eileen Collins with a matte cut by hand-seeded GrabCut, the cat
Chelsea and a coffee cup. ``portrait()`` puts the astronaut on a plain background with her
head (crown to chin) at a chosen place, the way a photographer frames an ID photo.
"""
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

DATA = Path(__file__).parent / "data" / "photos"
BLUE = (67, 142, 219)
# Where the head is in astronaut.jpg (pixels): crown, chin and the face's centre line.
CROWN, CHIN, FACE_X = 16, 170, 225


@lru_cache(maxsize=None)
def _person():
    """The astronaut as RGBA, its lowest row repeated so a tall frame shows no floating bust."""
    rgb = Image.open(DATA / "astronaut.jpg").convert("RGB")
    matte = Image.open(DATA / "astronaut_matte.png").convert("L")
    alpha = matte.filter(ImageFilter.GaussianBlur(1))
    rgb.putalpha(alpha)
    tall = Image.new("RGBA", (rgb.width, rgb.height * 3), (0, 0, 0, 0))
    tall.paste(rgb, (0, 0))
    tall.paste(rgb.crop((0, rgb.height - 1, rgb.width, rgb.height)).resize(
        (rgb.width, rgb.height * 2)), (0, rgb.height))
    return tall


def sample(name):
    return Image.open(DATA / name).convert("RGB")


def place(canvas, head=(0.1, 0.767), cx=0.5, angle=0.0, mirror=False):
    """Paste the astronaut on ``canvas`` with crown/chin at ``head`` (shares of the height) and
    the face centre at ``cx`` (share of the width), turned ``angle`` degrees anticlockwise."""
    w, h = canvas.size
    scale = (head[1] - head[0]) * h / (CHIN - CROWN)
    person = _person()
    if mirror:
        person = person.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    face_x = person.width - FACE_X if mirror else FACE_X
    if angle:
        centre = (face_x, (CROWN + CHIN) / 2)
        person = person.rotate(angle, Image.Resampling.BICUBIC, center=centre)
    big = person.resize((max(1, round(person.width * scale)), max(1, round(person.height * scale))),
                        Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    canvas.paste(big, (round(cx * w - face_x * scale), round(head[0] * h - CROWN * scale)), big)
    return canvas


def portrait(w=450, h=600, head=(0.1, 0.767), cx=0.5, bg=BLUE, noise=0, angle=0.0):
    """A frontal face on a plain ``bg``; the default frames the head at 2/3 of the height."""
    im = place(Image.new("RGB", (w, h), bg), head, cx, angle)
    if noise:
        im = Image.blend(im, Image.effect_noise((w, h), noise).convert("RGB"), 0.08)
    return im


def in_oval(name, w=450, h=600, bg=BLUE):
    """A sample picture (cat, cup) cut into a head-sized oval on ``bg``: a silhouette that a
    shape heuristic takes for a head."""
    src = sample(name)
    oval_w, oval_h = int(0.55 * w), int(0.62 * h)
    src = src.resize((oval_w, oval_h))
    mask = Image.new("L", (oval_w, oval_h), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, oval_w - 1, oval_h - 1], fill=255)
    im = Image.new("RGB", (w, h), bg)
    im.paste(src, ((w - oval_w) // 2, int(0.08 * h)), mask)
    return im


def document(w=800, h=600, noise=0):
    """A colour ID card on a white scan bed."""
    im = Image.new("RGB", (w, h), (250, 250, 250))
    d = ImageDraw.Draw(im)
    card = [0.05 * w, 0.08 * h, 0.95 * w, 0.92 * h]
    d.rounded_rectangle(card, radius=w // 40, fill=(222, 232, 240))
    d.rectangle([0.1 * w, 0.2 * h, 0.35 * w, 0.75 * h], fill=(80, 120, 200))
    for i in range(6):
        y = (0.2 + 0.09 * i) * h
        d.rectangle([0.42 * w, y, (0.85 - 0.05 * i) * w, y + 0.03 * h], fill=(40, 40, 60))
    d.ellipse([0.75 * w, 0.65 * h, 0.88 * w, 0.85 * h], outline=(200, 30, 30), width=4)
    if noise:
        im = Image.blend(im, Image.effect_noise((w, h), noise).convert("RGB"), 0.08)
    return im


def encode(im, fmt="JPEG", **kw):
    if fmt == "JPEG":
        kw.setdefault("quality", 75)  # the real face at 450×600 then stays under 30 KB
        kw.setdefault("dpi", (300, 300))
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()
