"""Throughput of the photo pipeline against plain Pillow on the same images.

    python benchmarks/photo_bench.py --n 50

project = check_photo(source) + normalise + check_photo(output), i.e. what an
upload costs; raw = Pillow decode + resize to 450x600 + one JPEG encode, the
least any implementation must do.  Both decode the same way: normalise asks
libjpeg for a DCT-downscaled draft (here 1/2, 600x800) and so does the raw
baseline, so the ratio measures our extra work (checks, crop box, the quality
search), not a decoding trick.  Single process, single thread.
"""
import argparse
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image, ImageDraw  # noqa: E402

from app.photos.checks import CANDIDATE_PHOTO, check_photo  # noqa: E402
from app.photos.normalise import normalise  # noqa: E402


def make_source(i: int, size=(1200, 1600)) -> bytes:
    """A blue-background portrait with sensor-like noise, so files have camera-like sizes."""
    w, h = size
    im = Image.new("RGB", size, (67, 142, 219))
    d = ImageDraw.Draw(im)
    cx, top, chin = w / 2 + (i % 7 - 3) * 4, 0.08 * h, 0.74 * h
    hw = 0.75 * (chin - top)
    d.polygon([(cx - 0.3 * hw, chin + 60), (cx + 0.3 * hw, chin + 60), (w, chin + 250),
               (w, h), (0, h), (0, chin + 250)], fill=(30, 30, 40))
    d.rectangle([cx - 0.22 * hw, chin - 60, cx + 0.22 * hw, chin + 70], fill=(215, 165, 135))
    d.ellipse([cx - hw / 2, top, cx + hw / 2, chin], fill=(224, 172, 140))
    noise = Image.effect_noise(size, 12 + i % 5).convert("RGB")
    im = Image.blend(im, noise, 0.08)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, dpi=(72, 72))
    return buf.getvalue()


def project(src: bytes) -> bytes:
    check_photo(src)
    out = normalise(src)
    check_photo(out)
    return out


def raw(src: bytes) -> bytes:
    im = Image.open(io.BytesIO(src))
    # Like normalise: the smallest DCT scale that still leaves at least 450x600.
    im.draft("RGB", (450, 600))
    im = im.convert("RGB").resize((450, 600), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, dpi=(300, 300))
    return buf.getvalue()


def rate(fn, items, min_seconds=0.0) -> float:
    """Items per second, repeating the whole list until min_seconds have passed."""
    done, start = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="number of 1200x1600 sources")
    args = ap.parse_args()

    sources = [make_source(i) for i in range(args.n)]
    avg_kb = sum(map(len, sources)) / len(sources) / 1024
    print(f"{args.n} sources 1200x1600, average {avg_kb:.0f} KB")
    project(sources[0]), raw(sources[0])  # warm up lazy imports and plugin registry

    outputs = [normalise(s) for s in sources]
    bad = [c for o in outputs for c in (f.code for f in check_photo(o))]
    print(f"outputs: average {sum(map(len, outputs)) / len(outputs) / 1024:.1f} KB,"
          f" max {max(map(len, outputs)) / 1024:.1f} KB, failures on outputs: {bad or 'none'}")

    p = rate(project, sources)
    r = rate(raw, sources)
    print(f"project: {p:.1f} photos/s  raw pillow: {r:.1f} photos/s  "
          f"ratio raw/project: {r / p:.2f} (target <= 2.0)")
    c = rate(lambda d: check_photo(d, CANDIDATE_PHOTO), outputs, min_seconds=1.0)
    print(f"check_photo on 450x600: {c:.0f} checks/s (target >= 200)")


if __name__ == "__main__":
    main()
