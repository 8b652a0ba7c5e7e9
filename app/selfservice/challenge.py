"""The picture code (图形验证码) of the public sign-up page: works without internet (no third-party
service), drawn with Pillow.

The answer is kept in the signed session cookie only as a keyed hash (HMAC with SECRET_KEY and a
random nonce), with its expiry. Any submit consumes it, right or wrong: the view pops it from
the session, and the nonce is also counted in the limiter's storage (Redis when REDIS_URL is
set), so an old cookie replayed with its solved code is refused as well — a cookie-only
session would otherwise accept the same code again and again.
"""
import hashlib
import hmac
import io
import random
import secrets
import time
import unicodedata

from flask import current_app, session
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .auth import CODE_ALPHABET

SESSION_KEY = "ss_signup_challenge"
LENGTH = 5
SIZE = (180, 64)
#: key prefix of spent nonces in the limiter's storage.
SPENT = "kaosheng-signup-challenge"
# Outcomes of :func:`check`.
OK, MISSING, EXPIRED, REUSED, WRONG = "ok", "missing", "expired", "reused", "wrong"


def new_answer():
    """The characters to type (the tests replace this to know the answer)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(LENGTH))


def normalise(text):
    """What is compared: NFKC (full-width letters of a phone keyboard), no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).upper()


def _digest(nonce, answer):
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{nonce}|{normalise(answer)}".encode(), hashlib.sha256).hexdigest()


def minutes():
    return int(current_app.config.get("SELF_SIGNUP_CHALLENGE_MINUTES", 10))


def issue():
    """A new code for this session (replacing any earlier one); returns the PNG bytes."""
    answer = new_answer()
    nonce = secrets.token_hex(12)
    session[SESSION_KEY] = {"n": nonce, "h": _digest(nonce, answer),
                            "x": int(time.time()) + 60 * minutes()}
    return render(answer)


def _storage():
    return current_app.appbuilder.sm.limiter.storage


def check(typed):
    """Consume the session's code and say whether ``typed`` answers it: OK, or MISSING (never
    shown), EXPIRED, REUSED (its cookie replayed) or WRONG."""
    held = session.pop(SESSION_KEY, None)
    if not isinstance(held, dict) or not {"n", "h", "x"} <= held.keys():
        return MISSING
    if int(held["x"]) < time.time():
        return EXPIRED
    if _storage().incr(f"{SPENT}/{held['n']}", 60 * minutes() + 60) > 1:
        return REUSED
    if not hmac.compare_digest(str(held["h"]), _digest(held["n"], typed)):
        return WRONG
    return OK


# --- the picture ------------------------------------------------------------------------------


def _font(size):
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled vector font (FreeType)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def _glyph(char, font, rng):
    """One character on a transparent tile, turned by up to 28° either way."""
    tile = Image.new("RGBA", (48, 56), (0, 0, 0, 0))
    colour = (rng.randint(10, 90), rng.randint(20, 90), rng.randint(60, 140), 255)
    ImageDraw.Draw(tile).text((24, 28), char, font=font, fill=colour, anchor="mm")
    return tile.rotate(rng.uniform(-28, 28), resample=Image.BICUBIC, expand=False)


def render(answer):
    """The PNG of ``answer``: jittered, turned characters over a speckled background with
    crossing lines."""
    rng = random.SystemRandom()
    width, height = SIZE
    image = Image.new("RGB", SIZE, (rng.randint(225, 245), rng.randint(230, 248), 250))
    draw = ImageDraw.Draw(image)
    for _ in range(160):
        draw.point((rng.randrange(width), rng.randrange(height)),
                   fill=tuple(rng.randint(120, 210) for _ in range(3)))
    font = _font(rng.randint(34, 40))
    step = (width - 20) / max(len(answer), 1)
    for i, char in enumerate(answer):
        tile = _glyph(char, font, rng)
        x = int(10 + i * step + rng.randint(-4, 4))
        y = int((height - tile.height) / 2 + rng.randint(-6, 6))
        image.paste(tile, (x, y), tile)
    for _ in range(rng.randint(5, 7)):
        draw.line([(rng.randrange(width), rng.randrange(height)) for _ in range(2)],
                  fill=tuple(rng.randint(40, 160) for _ in range(3)), width=rng.randint(1, 2))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
