"""Cost of the project's render_pdf over bare xhtml2pdf on the same sample form.

    python benchmarks/pdf_bench.py --n 50

Both paths get identical HTML (photo inlined as a data: URI) and the same
registered font, so the ratio is the overhead of our link_callback, resource
policy and error handling alone. Target: ratio <= 1.3.
"""
import argparse
import base64
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xhtml2pdf import pisa  # noqa: E402

from app.forms.pdf import merge_pdfs, page_count, register_cjk_font, render_pdf  # noqa: E402
from tests.test_pdf_render import jpeg, sample_html  # noqa: E402


def bare(html: str) -> bytes:
    out = io.BytesIO()
    if pisa.CreatePDF(html, dest=out).err:
        raise RuntimeError("bare xhtml2pdf failed")
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="forms per path (default 50)")
    n = parser.parse_args().n

    t0 = time.perf_counter()
    font = register_cjk_font()
    print(f"font: {font.reportlab_name} ({'TTF ' + font.path if font.is_ttf else 'CID fallback'})"
          f", registration {1000 * (time.perf_counter() - t0):.0f} ms")

    html = sample_html("data:image/jpeg;base64," + base64.b64encode(jpeg()).decode())
    t0 = time.perf_counter()
    render_pdf(html)
    print(f"first render (warm-up): {1000 * (time.perf_counter() - t0):.0f} ms")
    bare(html)

    # Interleaved so that drift (GC, CPU frequency) hits both paths alike.
    ours, theirs, pdfs = [], [], []
    for _ in range(n):
        t0 = time.perf_counter()
        pdfs.append(render_pdf(html))
        t1 = time.perf_counter()
        bare(html)
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)

    def ms(xs):
        return f"mean {1000 * statistics.mean(xs):6.1f} ms, median {1000 * statistics.median(xs):6.1f} ms"

    print(f"render_pdf      ({n} forms): {ms(ours)}")
    print(f"bare CreatePDF  ({n} forms): {ms(theirs)}")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"ratio (median)  : {ratio:.2f}  (target <= 1.3) {'OK' if ratio <= 1.3 else 'OVER'}")

    t0 = time.perf_counter()
    merged = merge_pdfs(pdfs)
    merge_s = time.perf_counter() - t0
    pages = page_count(merged)
    total_s = sum(ours) + merge_s
    print(f"batch: {pages} pages, {len(merged) / 1024:.0f} KiB; merge {1000 * merge_s:.0f} ms;"
          f" render+merge {pages / total_s:.1f} pages/s")


if __name__ == "__main__":
    main()
