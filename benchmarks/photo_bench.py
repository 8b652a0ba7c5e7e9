"""Throughput of the photo pipeline (face detector included) against plain Pillow.

    python benchmarks/photo_bench.py --n 40

project = check_photo(source) + normalise + check_photo(output), i.e. what an upload
costs; raw = Pillow decode + resize to 450x600 + one JPEG encode, the least any
implementation must do. Both decode the same way (a DCT-downscaled draft), so the ratio
measures our extra work: face search, measurements, crop, the quality search. Sources are
the evaluation set's real face framed as a phone would (1200x1600, head 0.3-0.45 of the
height, off-centre). Also: checks/s of a 450x600 photo (target >= 50 on one core) and the
time to normalise a 12-megapixel phone photo (target <= 200 ms). Single process, one thread
(OpenCV is set to one thread in app.photos.face). Rates are CPU time of this process
(time.process_time), so the figures hold for one core even on a busy shared machine.
"""
import argparse
import io
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from PIL import Image  # noqa: E402

from app.photos.checks import CANDIDATE_PHOTO, check_photo  # noqa: E402
from app.photos.normalise import normalise  # noqa: E402
from photo_faces import portrait  # noqa: E402

def encode(im, quality=90, dpi=(72, 72)) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, dpi=dpi)
    return buf.getvalue()


def make_source(i: int, size=(1200, 1600)) -> bytes:
    """A phone-style portrait: real face, head 0.3-0.45 of the height, a little off-centre,
    with sensor-like noise so files have camera-like sizes."""
    top = 0.2 + (i % 4) * 0.02
    im = portrait(*size, head=(top, top + 0.3 + (i % 5) * 0.035), cx=0.45 + (i % 7) * 0.015,
                  noise=12 + i % 5)
    return encode(im)


def project(src: bytes) -> bytes:
    check_photo(src)
    out = normalise(src)
    check_photo(out)
    return out


def raw(src: bytes) -> bytes:
    im = Image.open(io.BytesIO(src))
    im.draft("RGB", (450, 600))  # like normalise: the smallest DCT scale leaving 450x600
    im = im.convert("RGB").resize((450, 600), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, dpi=(300, 300))
    return buf.getvalue()


def rate(fn, items, min_seconds=0.0) -> float:
    """Items per CPU second, repeating the whole list until min_seconds have passed."""
    done, start = 0, time.process_time()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return done / elapsed


def best_ms(fn, arg, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn(arg)
        times.append(time.process_time() - start)
    return 1000 * min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="number of 1200x1600 sources")
    args = ap.parse_args()

    sources = [make_source(i) for i in range(args.n)]
    kb = sum(map(len, sources)) / len(sources) / 1024
    print(f"{args.n} sources 1200x1600, average {kb:.0f} KB")
    project(sources[0]), raw(sources[0])  # warm up lazy imports, cascades, plugin registry

    outputs = [normalise(s) for s in sources]
    bad = [c for o in outputs for c in (f.code for f in check_photo(o))]
    print(f"outputs: average {sum(map(len, outputs)) / len(outputs) / 1024:.1f} KB,"
          f" max {max(map(len, outputs)) / 1024:.1f} KB, failures on outputs: {bad or 'none'}")

    p, r = rate(project, sources), rate(raw, sources)
    print(f"project: {p:.1f} photos/s  raw pillow: {r:.1f} photos/s  "
          f"ratio raw/project: {r / p:.1f}")

    c = rate(lambda d: check_photo(d, CANDIDATE_PHOTO), outputs, min_seconds=2.0)
    d = rate(lambda d: Image.open(io.BytesIO(d)).load(), outputs, min_seconds=0.5)
    print(f"check_photo on 450x600: {c:.0f} checks/s (target >= 50); Pillow decode alone "
          f"{d:.0f}/s, ratio {d / c:.1f}")

    phone = encode(portrait(3024, 4032, head=(0.3, 0.5), cx=0.46, noise=8), quality=92)
    ms = best_ms(normalise, phone)
    print(f"12 MP phone photo ({len(phone) / 1e6:.1f} MB) normalised in {ms:.0f} ms CPU "
          f"(target <= 200)")


if __name__ == "__main__":
    main()
