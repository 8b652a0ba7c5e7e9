"""Evaluation of the photo checks and the normaliser on a labelled set (tests/data/photos/eval).

    python3 benchmarks/photo_eval.py          # evaluate: precision/recall per rule and overall
    python3 benchmarks/photo_eval.py --make   # (re)build the set from tests/data/photos sources

The set is derived from scikit-image's public-domain / CC0 sample pictures (see
tests/data/photos/SOURCES.md): the astronaut's face framed on backgrounds at head shares
0.4-0.9, off-centre, tilted, two people, grey/white/studio/shadowed backgrounds, dark,
washed-out, blurred, sunglasses, a halftone rescan; the cat, the cup and an empty blue frame
in an oval; and phone-style sources for the normaliser. ID documents (``card_check``: 800×600
files; ``card_normalise``: phone photos) are made cards (tests/photo_faces.id_card: an ID-1
card with the astronaut's portrait, lines of text and a seal) on wood, dark, grey and scanner
surfaces, level and tilted up to 25°, cut by the edge, too small, off-centre, blurred, two
cards, no card, and a round and a square object that are no card. labels.csv names, for every file,
the rules that must fire (``expected``), rules whose verdict is not defined for it
(``ignore``) and why.
"""
import csv
import io
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app.photos.checks import CANDIDATE_PHOTO, ID_DOCUMENT, check_photo  # noqa: E402
from app.photos.normalise import NormaliseError, encode_to_fit, normalise  # noqa: E402
from app.photos.rules import CARD_RULES, RULES  # noqa: E402
from photo_faces import (BLUE, DATA, DESKS, card_photo, desk, halftone, in_oval,  # noqa: E402
                         place, portrait, sample)

EVAL = DATA / "eval"
GREY, WHITE = (160, 160, 160), (250, 250, 250)


def _photographed_print(period=6.0):
    """A print (dot screen) lying on a table, photographed from slightly askew: the paper's
    white margin and the table show at the edges, and the screen is resampled (moiré)."""
    big = portrait(900, 1200)
    printed = halftone(big, period * 2, 45, 1.0)
    sheet = Image.new("RGB", (1040, 1360), (245, 245, 240))
    sheet.paste(printed, (70, 80))
    table = Image.new("RGB", (1300, 1600), (120, 85, 60))
    tilted = sheet.rotate(4, Image.Resampling.BICUBIC, expand=True, fillcolor=(120, 85, 60))
    table.paste(tilted, ((1300 - tilted.width) // 2, (1600 - tilted.height) // 2))
    return table.filter(ImageFilter.GaussianBlur(1.2)).resize((450, 600), Image.Resampling.LANCZOS)


def _shadowed():
    im = portrait()
    shade = Image.new("L", im.size, 0)
    ImageDraw.Draw(shade).ellipse([-150, -100, 170, 450], fill=150)
    dark = Image.new("RGB", im.size, (10, 20, 40))
    return Image.composite(dark, im, shade.filter(ImageFilter.GaussianBlur(25)))


def _sunglasses():
    im = portrait()
    d = ImageDraw.Draw(im)
    for x in (171, 279):  # the eyes of the default framing
        d.ellipse([x - 48, 205, x + 48, 262], fill=(15, 15, 20))
    d.line([(219, 228), (231, 228)], fill=(15, 15, 20), width=6)
    return im


def _studio():
    """The original picture: the astronaut in front of a grey studio wall, framed to spec."""
    src = sample("astronaut.jpg")
    return src.crop((139, 0, 312, 231)).resize((450, 600), Image.Resampling.BICUBIC)


def _two(w=450, h=600, head=(0.25, 0.6)):
    canvas = Image.new("RGB", (w, h), BLUE)
    return place(place(canvas, head, 0.26), head, 0.74, mirror=True)


def _sideways(im):
    """Stored lying on its side with EXIF 'rotate 90° clockwise to display', as phones do."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return im.transpose(Image.Transpose.ROTATE_90), exif


F = "head_height,off_centre,not_frontal,eyes_not_visible,head_tilted,exposure,blurred"
ALL = F + ",background_uneven,background_not_blue,head_cut"  # a rescan: only the warning counts
# name, kind, builder, expected, ignore, reason
CASES = [
    ("ok_head60", "check", lambda: portrait(head=(0.13, 0.73)), "", "", "frontal face, head 0.60"),
    ("ok_head67", "check", portrait, "", "", "frontal face, head 2/3 (the notice)"),
    ("ok_head70", "check", lambda: portrait(head=(0.09, 0.79)), "", "", "head 0.70"),
    ("ok_head75", "check", lambda: portrait(head=(0.07, 0.82)), "", "", "head 0.75"),
    ("ok_mirror", "check", lambda: place(Image.new("RGB", (450, 600), BLUE), mirror=True),
     "", "", "mirrored face"),
    ("ok_light_blue", "check", lambda: portrait(bg=(0, 191, 243)), "", "", "light blue"),
    ("ok_dark_blue", "check", lambda: portrait(bg=(20, 60, 160)), "", "", "dark blue"),
    ("head40", "check", lambda: portrait(head=(0.2, 0.6)), "head_height", "", "head too small"),
    ("head50", "check", lambda: portrait(head=(0.2, 0.7)), "head_height", "", "head too small"),
    ("head85", "check", lambda: portrait(head=(0.06, 0.91)), "head_height", "background_uneven",
     "head too big"),
    ("head90", "check", lambda: portrait(head=(0.04, 0.94)), "head_height", "background_uneven",
     "head too big"),
    ("head_cut", "check", lambda: portrait(head=(-0.05, 0.62)), "head_cut", "",
     "hair cut by the top edge"),
    ("off_left", "check", lambda: portrait(cx=0.38), "off_centre", "not_frontal", "off-centre"),
    ("off_right", "check", lambda: portrait(cx=0.62), "off_centre", "not_frontal", "off-centre"),
    ("tilt_left", "check", lambda: portrait(angle=15), "head_tilted", "not_frontal",
     "head rotated 15°"),
    ("tilt_right", "check", lambda: portrait(angle=-15), "head_tilted", "not_frontal",
     "head rotated -15°"),
    ("two_people", "check", _two, "several_faces", F + ",background_uneven,background_not_blue",
     "two people side by side"),
    ("grey_bg", "check", lambda: portrait(bg=GREY), "background_not_blue", "", "grey background"),
    ("white_bg", "check", lambda: portrait(bg=WHITE), "background_not_blue", "",
     "white background"),
    ("studio_bg", "check", _studio, "background_not_blue", "background_uneven,exposure,blurred",
     "the original studio picture"),
    ("shadow_bg", "check", _shadowed, "background_uneven", "background_not_blue,not_frontal",
     "blue background with a large shadow"),
    ("dark", "check", lambda: Image.eval(portrait(), lambda v: int(v * 0.28)), "exposure",
     "background_not_blue,eyes_not_visible,blurred", "under-exposed"),
    ("washed_out", "check", lambda: Image.eval(portrait(), lambda v: min(255, int(v * 1.6 + 60))),
     "exposure", "background_not_blue,eyes_not_visible,blurred", "over-exposed"),
    ("blurred", "check", lambda: portrait().filter(ImageFilter.GaussianBlur(5)), "blurred",
     "eyes_not_visible", "out of focus"),
    ("sunglasses", "check", _sunglasses, "eyes_not_visible", "exposure,head_tilted",
     "eyes covered"),
    ("rescan", "check", lambda: halftone(portrait()), "rescan_suspected",
     F + ",background_uneven,background_not_blue", "printed photo scanned again (dot screen)"),
    ("rescan_fine", "check", lambda: halftone(portrait(), 3, 15, 0.7), "rescan_suspected",
     ALL, "fine 3 px screen at 15°"),
    ("rescan_30", "check", lambda: halftone(portrait(), 4, 30, 0.7), "rescan_suspected",
     ALL, "4 px screen at 30°"),
    ("rescan_blurred", "check", lambda: halftone(portrait(), 5, 45, 1.5), "rescan_suspected",
     ALL, "5 px screen at 45°, blurred again"),
    ("rescan_coarse", "check", lambda: halftone(portrait(), 10, 15, 1.5), "rescan_suspected",
     ALL, "coarse 10 px screen at 15°, blurred again"),
    ("print_photographed", "check", _photographed_print, "rescan_suspected", ALL + ",no_face",
     "a print on a table photographed askew (paper margin, moiré)"),
    ("ok_noisy", "check", lambda: portrait(noise=30), "", "", "sensor noise (not a screen)"),
    ("ok_upscaled", "check",
     lambda: portrait(360, 480).resize((450, 600), Image.Resampling.BILINEAR), "", "",
     "a small webcam frame scaled up (resampling peaks, not a screen)"),
    ("ok_sharpened", "check", lambda: portrait().filter(ImageFilter.UnsharpMask(3, 200)), "", "",
     "strongly sharpened (high frequencies, not a screen)"),
    ("cat_oval", "check", lambda: in_oval("chelsea.jpg"), "no_face", "", "a cat's face in an oval"),
    ("cup_oval", "check", lambda: in_oval("coffee.jpg"), "no_face", "", "a coffee cup in an oval"),
    ("empty_blue", "check", lambda: Image.new("RGB", (450, 600), BLUE), "no_face", "",
     "empty blue frame"),
    # Phone pictures for the normaliser: expected "" = fixable, else the refusal's rule.
    ("half_body", "normalise", lambda: portrait(1500, 2000, head=(0.3, 0.55), cx=0.42), "", "",
     "half-body shot, off-centre"),
    ("landscape", "normalise", lambda: portrait(2000, 1500, head=(0.2, 0.5), cx=0.6), "", "",
     "landscape shot"),
    ("sideways_exif", "normalise", lambda: _sideways(portrait(1500, 2000, head=(0.25, 0.5))),
     "", "", "stored sideways with EXIF orientation 6"),
    ("close_up", "normalise", lambda: portrait(900, 1200, head=(0.1, 0.8)), "", "",
     "head 0.7 in a bigger picture"),
    ("far_away", "normalise", lambda: portrait(900, 1200, head=(0.45, 0.6)), "too_small", "",
     "face too small for 450×600 without upscaling"),
    ("grey_wall", "normalise", lambda: portrait(1200, 1600, head=(0.25, 0.55), bg=GREY),
     "background_not_blue", "", "grey background cannot be cropped away"),
    ("two_wide", "normalise", lambda: _two(1600, 1200, (0.2, 0.5)), "several_faces", "",
     "two people"),
    ("tilted_wide", "normalise", lambda: portrait(1200, 1600, head=(0.2, 0.5), angle=15),
     "head_tilted", "", "tilted head"),
    ("cat_wide", "normalise", lambda: in_oval("chelsea.jpg", 900, 1200), "no_face", "", "a cat"),
]


def _doc(**kw):
    """An 800×600 ID-document file made from a 1600×1200 photo of a card."""
    return card_photo(**kw).resize((800, 600), Image.Resampling.LANCZOS)


def _object(shape, surface="wood", size=(1600, 1200)):
    """A desk with something that is no card on it: a round coaster or a square note."""
    im = desk(*size, DESKS[surface])
    d = ImageDraw.Draw(im)
    w, h = size
    box = [w * 0.3, h * 0.2, w * 0.3 + h * 0.6, h * 0.8]
    (d.ellipse if shape == "round" else d.rectangle)(box, fill=(235, 225, 200))
    d.line([(box[0] + 40, h / 2), (box[2] - 40, h / 2)], fill=(40, 40, 60), width=12)
    return im


CARD_POSITION = "card_off_centre,card_small,card_tilted"  # meaningless for a cut-off card
CARD_CASES = [
    ("id_ok_scan", "card_check", lambda: _doc(surface="scanner", share=0.85), "", "",
     "card on a scanner bed"),
    ("id_ok_wood", "card_check", lambda: _doc(share=0.8, tilt=1), "", "", "card on wood, 1°"),
    ("id_ok_dark", "card_check", lambda: _doc(surface="dark", share=0.75, tilt=-2), "", "",
     "card on a dark desk, -2°"),
    ("id_ok_uneven", "card_check", lambda: _doc(surface="grey", share=0.8, light=0.25), "", "",
     "grey desk lit unevenly"),
    ("id_tilt5", "card_check", lambda: _doc(share=0.75, tilt=5), "card_tilted", "", "tilted 5°"),
    ("id_tilt12", "card_check", lambda: _doc(surface="dark", share=0.7, tilt=-12), "card_tilted",
     "", "tilted -12°"),
    ("id_tilt25", "card_check", lambda: _doc(share=0.6, tilt=25), "card_tilted", "",
     "tilted 25°"),
    ("id_cut_right", "card_check", lambda: _doc(share=0.6, centre=(0.85, 0.5)), "card_cut",
     CARD_POSITION, "right third of the card beyond the edge"),
    ("id_cut_corner", "card_check", lambda: _doc(share=0.6, tilt=8, centre=(0.25, 0.2)),
     "card_cut", CARD_POSITION, "a corner beyond the top edge"),
    ("id_small", "card_check", lambda: _doc(share=0.35), "card_small", "", "card too small"),
    ("id_off_centre", "card_check", lambda: _doc(share=0.6, centre=(0.64, 0.5)),
     "card_off_centre", "", "card off-centre"),
    ("id_blurred", "card_check", lambda: _doc(share=0.8, blur=7), "card_blurred", "",
     "out of focus"),
    ("id_two", "card_check", lambda: _doc(share=0.4, cards=2), "several_cards", "",
     "two cards side by side"),
    ("id_none", "card_check", lambda: desk(800, 600), "no_card", "", "an empty desk"),
    ("id_none_scan", "card_check", lambda: desk(800, 600, DESKS["scanner"], False), "no_card", "greyscale",
     "an empty scanner bed"),
    ("id_round", "card_check", lambda: _object("round").resize((800, 600)), "no_card", "",
     "a round coaster"),
    ("id_square", "card_check", lambda: _object("square").resize((800, 600)), "no_card", "",
     "a square note"),
    # Phone photos for the normaliser: expected "" = fixable, else the refusal's rule.
    ("idn_tilt10", "card_normalise", lambda: card_photo(share=0.7, tilt=10), "", "",
     "card on wood, tilted 10°"),
    ("idn_tilt25", "card_normalise", lambda: card_photo(surface="dark", share=0.6, tilt=-25), "",
     "", "card on a dark desk, tilted -25°"),
    ("idn_off_centre", "card_normalise",
     lambda: card_photo(surface="grey", share=0.6, tilt=4, centre=(0.6, 0.45), light=0.2), "",
     "", "off-centre and tilted on an unevenly lit desk"),
    ("idn_far", "card_normalise", lambda: card_photo(2400, 1800, share=0.45, tilt=-3), "", "",
     "a 4 MP photo, card 45% of the width"),
    ("idn_portrait", "card_normalise", lambda: card_photo(1200, 1600, share=0.9, tilt=-6), "",
     "", "portrait phone photo, card across it"),
    ("idn_near_edge", "card_normalise", lambda: card_photo(share=0.8, centre=(0.56, 0.5)), "", "",
     "close to the edge: the margin is filled"),
    ("idn_cut", "card_normalise", lambda: card_photo(share=0.6, centre=(0.85, 0.5)), "card_cut",
     "", "cut by the right edge"),
    ("idn_two", "card_normalise", lambda: card_photo(share=0.4, cards=2), "several_cards", "",
     "two cards"),
    ("idn_none", "card_normalise", lambda: desk(1600, 1200), "no_card", "", "no card"),
    ("idn_blurred", "card_normalise", lambda: card_photo(share=0.7, blur=9), "card_blurred", "",
     "out of focus"),
    ("idn_tiny", "card_normalise", lambda: card_photo(share=0.35), "too_small", "",
     "card too small for 800×600 without upscaling"),
]
CASES += CARD_CASES


def make():
    EVAL.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, kind, build, expected, ignore, reason in CASES:
        made = build()
        im, exif = made if isinstance(made, tuple) else (made, None)
        if kind in ("check", "card_check"):  # meets every file rule: the scene is judged
            spec = CANDIDATE_PHOTO if kind == "check" else ID_DOCUMENT
            data, _q = encode_to_fit(im, spec.max_bytes)
        else:
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=85, dpi=(72, 72), **({"exif": exif} if exif else {}))
            data = buf.getvalue()
        (EVAL / f"{name}.jpg").write_bytes(data)
        rows.append({"file": f"{name}.jpg", "kind": kind, "expected": expected,
                     "ignore": ignore, "reason": reason})
    with open(EVAL / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["file", "kind", "expected", "ignore", "reason"])
        writer.writeheader()
        writer.writerows(rows)
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    print(f"{len(rows)} cases written to {EVAL}; tests/data/photos is {total / 1e6:.2f} MB")


def _split(text):
    return set(filter(None, text.split(",")))


def labels():
    with open(EVAL / "labels.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def evaluate_checks(rows, spec=CANDIDATE_PHOTO, table=RULES):
    """Per rule of ``table``: (tp, fp, fn); overall refusal confusion; wrong verdicts listed."""
    counts = {code: [0, 0, 0] for code in table}
    overall = [0, 0, 0, 0]  # tp, fp, fn, tn of "refuse"
    wrong, times = [], []
    for row in rows:
        data = (EVAL / row["file"]).read_bytes()
        start = time.process_time()
        report = check_photo(data, spec)
        times.append(time.process_time() - start)
        got = {f.code for f in report} | {w.code for w in report.warnings}
        expected, ignore = _split(row["expected"]), _split(row["ignore"])
        for code, c in counts.items():
            if code in ignore:
                continue
            c[0] += code in expected and code in got
            c[1] += code not in expected and code in got
            c[2] += code in expected and code not in got
        refuse_exp = bool({c for c in expected if not table[c].warn})
        refused = bool({f.code for f in report} - ignore)
        overall[(0 if refused else 2) if refuse_exp else (1 if refused else 3)] += 1
        if (got - ignore) != expected:
            wrong.append((row["file"], sorted(expected), sorted(got - ignore)))
    return counts, overall, wrong, times


def evaluate_normaliser(rows, spec=CANDIDATE_PHOTO):
    results = []
    for row in rows:
        expected = _split(row["expected"])
        data = (EVAL / row["file"]).read_bytes()
        start = time.process_time()
        try:
            out = normalise(data, spec)
        except NormaliseError as exc:
            got = {f.code for f in exc.failures}
            results.append((row["file"], expected, got, bool(expected & got) and bool(expected),
                            time.process_time() - start))
            continue
        elapsed = time.process_time() - start
        failures = [f.code for f in check_photo(out, spec)]
        results.append((row["file"], expected, set(failures), not expected and not failures,
                        elapsed))
    return results


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "—"


def main():
    rows = labels()
    ok = [report(rows, "check", "normalise", CANDIDATE_PHOTO, RULES, "photo"),
          report(rows, "card_check", "card_normalise", ID_DOCUMENT, CARD_RULES, "ID document")]
    return 0 if all(ok) else 1


def report(rows, check_kind, normalise_kind, spec, table, what):
    """Print the figures of one kind of picture; True when every verdict is as labelled."""
    print(f"== {what}")
    counts, overall, wrong, times = evaluate_checks(
        [r for r in rows if r["kind"] == check_kind], spec, table)
    print(f"{'rule':<22} {'tp':>3} {'fp':>3} {'fn':>3}  precision  recall")
    for code, (tp, fp, fn) in counts.items():
        if tp + fp + fn:
            print(f"{code:<22} {tp:>3} {fp:>3} {fn:>3}  {_ratio(tp, tp + fp):>9}  "
                  f"{_ratio(tp, tp + fn):>6}")
    tp, fp, fn, tn = overall
    print(f"overall refusal: tp={tp} fp={fp} fn={fn} tn={tn} precision={_ratio(tp, tp + fp)} "
          f"recall={_ratio(tp, tp + fn)}; {len(times)} pictures, "
          f"{1000 * sum(times) / len(times):.1f} ms CPU per check")
    for name, exp, got in wrong:
        print(f"  differs: {name}: expected {exp or '—'}, got {got or '—'}")
    norm = evaluate_normaliser([r for r in rows if r["kind"] == normalise_kind], spec)
    fixable = [r for r in norm if not r[1]]
    print(f"normaliser: {sum(r[3] for r in fixable)}/{len(fixable)} fixable sources give a "
          f"passing picture; {sum(r[3] for r in norm if r[1])}/{len(norm) - len(fixable)} "
          f"unfixable refused for the labelled reason; "
          f"slowest {max(r[4] for r in norm) * 1000:.0f} ms CPU")
    for name, exp, got, ok, _t in norm:
        if not ok:
            print(f"  normaliser differs: {name}: expected {sorted(exp) or 'a passing photo'}, "
                  f"got {sorted(got)}")
    return not wrong and all(r[3] for r in norm)


if __name__ == "__main__":
    if "--make" in sys.argv:
        make()
    else:
        sys.exit(main())
