"""How fast PDFs are read: pages per second of rag.read.pdf beside plain pypdf on the same file in
the same run (the ratio is what the cleaning costs), and the whole `rag index` of that file.

    .venv/bin/python bench/pdf_speed.py [--pages 100] [--repeat 3] [--no-index]

The PDF is drawn by reportlab (the test extra) like a report: a running header, "Page N of M"
footers, a heading on page 1 and six paragraphs of news-like prose on each page (about 450 words).
Plain pypdf is `page.extract_text()` over every page of a `PdfReader`; rag.read.pdf is `read_pdf` on
the file's bytes, which reads the same pages with positions and fonts and then drops the
furniture, joins hyphens and lines and marks the pages. Each is timed `--repeat` times, the
median kept. `rag index` runs as a subprocess with the configured (real) embedder into a fresh
index: its wall time includes starting Python and loading the embedder, and the report's own
seconds (reading, chunking, embedding, writing) are printed beside it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(pages: int) -> bytes:
    from corpora.documents import pdf_bytes
    from corpora.html_pages import PAGES

    paras = [p for page in PAGES for p in page.story.paragraphs]
    body = [[paras[(i * 6 + j) % len(paras)] for j in range(6)] for i in range(pages)]
    return pdf_bytes(body, heading="Annual Report on Regional Infrastructure",
                     header="Regional Infrastructure Review 2024 — Public", title=None)


def plain_pypdf(data: bytes) -> int:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return sum(len(p.extract_text()) for p in reader.pages)


def ours(data: bytes) -> int:
    from rag.read.pdf import read_pdf

    return len(read_pdf(data, "bench.pdf").text)


def timed(fn, data: bytes, repeat: int) -> tuple[float, int]:
    times, chars = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        chars = fn(data)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), chars


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-index", action="store_true", help="skip the `rag index` run")
    args = ap.parse_args()
    data = build(args.pages)
    print(f"{args.pages}-page PDF, {len(data):,} bytes")
    ours(data)  # warm-up: imports
    t_plain, c_plain = timed(plain_pypdf, data, args.repeat)
    t_ours, c_ours = timed(ours, data, args.repeat)
    print(f"plain pypdf extract_text: {args.pages / t_plain:6.1f} pages/s ({t_plain:.2f} s, "
          f"{c_plain:,} chars)")
    print(f"rag.read.pdf read_pdf:         {args.pages / t_ours:6.1f} pages/s ({t_ours:.2f} s, "
          f"{c_ours:,} chars)")
    print(f"ratio (rag.read.pdf / plain):  {t_plain / t_ours:.2f}")
    if args.no_index:
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "docs"
        src.mkdir()
        (src / "report.pdf").write_bytes(data)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "rag", "index", str(src), "--index",
                              str(Path(tmp) / "index"), "--json"], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        report = json.loads(out.stdout)
        print(f"rag index (subprocess, real embedder): {wall:.1f} s wall; the report's "
              f"{report['seconds']:.1f} s for {report['chunks']} chunks "
              f"({report['added']} added, {len(report['skipped'])} skipped)")


if __name__ == "__main__":
    main()
