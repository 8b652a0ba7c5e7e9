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


def halftone(im, period=5.0, angle=45.0, blur=1.0):
    """``im`` printed with a dot screen of ``period`` pixels at ``angle`` degrees, then blurred
    by ``blur`` as scanning or photographing the print again does: a rescan."""
    import numpy as np

    a = np.asarray(im).astype(np.float32) / 255
    y, x = np.mgrid[0:im.height, 0:im.width]
    t = np.deg2rad(angle)
    u, v = x * np.cos(t) + y * np.sin(t), y * np.cos(t) - x * np.sin(t)
    screen = (np.cos(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period) + 1) / 2
    dots = np.where(a > screen[..., None] * 0.9 + 0.05, 255, 0).astype(np.uint8)
    return Image.fromarray(dots).filter(ImageFilter.GaussianBlur(blur))


def write_y4m(path, picture, frames=3):
    """An uncompressed 4:2:0 Y4M video of ``picture`` for Chromium's file-backed fake camera
    (``--use-file-for-fake-video-capture``), in the studio-range BT.601 YUV it decodes."""
    w, h = picture.size
    y, cb, cr = picture.convert("YCbCr").split()
    luma = y.point(lambda v: 16 + v * 219 // 255)
    chroma = [c.resize((w // 2, h // 2), Image.Resampling.BOX)
              .point(lambda v: 16 + v * 224 // 255) for c in (cb, cr)]
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + luma.tobytes() + chroma[0].tobytes() + chroma[1].tobytes())


# -- ID documents on a desk (the card finder's tests and evaluation set) ----------------------

DESKS = {"wood": (138, 96, 62), "dark": (52, 54, 58), "grey": (150, 152, 150),
         "scanner": (250, 250, 250)}
ID1 = 85.6 / 54  # ISO/IEC 7810 ID-1: the 2nd-generation 居民身份证


def id_card(width=856, tint=(226, 234, 242)):
    """An ID-1 card (85.6 × 54 mm at ``width`` pixels): pale ground, a portrait area with the
    real face, printed lines of text and a red seal; RGBA with rounded corners."""
    w, h = width, round(width / ID1)
    card = Image.new("RGB", (w, h), tint)
    d = ImageDraw.Draw(card)
    for i in range(0, w, max(4, w // 60)):  # the guilloche-like background print
        d.line([(i, 0), (i + h // 2, h)], fill=tuple(max(0, c - 10) for c in tint), width=1)
    face = portrait(round(w * 0.27), round(h * 0.62), bg=(235, 240, 245))
    card.paste(face, (round(w * 0.66), round(h * 0.12)))
    for i in range(6):
        y = round(h * (0.12 + 0.12 * i))
        d.rectangle([round(w * 0.06), y, round(w * (0.58 - 0.04 * i)), y + round(h * 0.045)],
                    fill=(40, 40, 60))
    d.ellipse([round(w * 0.44), round(h * 0.7), round(w * 0.6), round(h * 0.95)],
              outline=(200, 30, 30), width=max(2, w // 200))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=round(w * 0.037), fill=255)
    card.putalpha(mask)
    return card


def desk(w, h, colour=DESKS["wood"], grain=True, light=0.0):
    """A desk top: ``colour`` with wood-like grain and sensor noise, lit unevenly by ``light``
    (0: even; 0.2: the far side 20% darker)."""
    import numpy as np

    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.array(colour, np.float32)[None, None, :].repeat(h, 0).repeat(w, 1)
    if grain:
        base += (6 * np.sin(y / 7 + 3 * np.sin(x / 180)))[..., None]
    base *= (1 - light * x / w)[..., None]
    rng = np.random.default_rng(w * 7 + h)
    base += rng.normal(0, 3, base.shape)
    return Image.fromarray(base.clip(0, 255).astype(np.uint8))


def card_photo(w=1600, h=1200, share=0.7, tilt=0.0, centre=(0.5, 0.5), surface="wood",
               light=0.0, cards=1, blur=0.0, card=None):
    """A phone photo / scan of ``cards`` ID cards: the card ``share`` of the picture's width,
    turned ``tilt`` degrees anticlockwise, centred at ``centre`` (shares; beyond 0–1 or near
    the edge: cut off). With two cards, they lie side by side."""
    im = desk(w, h, DESKS[surface], surface != "scanner", light)
    width = round(share * w)
    src = card or id_card(width)
    turned = src.rotate(tilt, Image.Resampling.BICUBIC, expand=True)
    spots = [centre] if cards == 1 else [(0.27, 0.5), (0.73, 0.5)]
    for cx, cy in spots:
        im.paste(turned, (round(cx * w - turned.width / 2), round(cy * h - turned.height / 2)),
                 turned)
    return im.filter(ImageFilter.GaussianBlur(blur)) if blur else im
