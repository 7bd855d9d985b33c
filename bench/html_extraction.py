"""Measuring HTML extraction on saved news pages: trafilatura (what rag.read.webpage uses) against
the hand-written rules it replaced, and trafilatura's other modes, on the pages
corpora/html_pages.py builds (a story inside navigation, cookie banners, related lists, comments,
paywalls...).

    .venv/bin/python bench/html_extraction.py [--pages]

Per extractor: the mean word precision, recall and F1 of the main text against the story
(headline and paragraphs), how many pages got the title, author and date exactly right, and the
time per page (the median of 5 passes, after one warm-up pass). `--pages` adds each page's row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _trafilatura(**options):
    import trafilatura

    def run(html: str):
        d = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                        include_tables=True, **options)
        return (d.text or "", d.title, d.author, d.date) if d else ("", None, None, None)
    return run


def _ours(parse):
    def run(html: str):
        a = parse(html, "page.html")
        return a.text, a.title, a.author, a.date
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", action="store_true", help="print every page's scores")
    args = ap.parse_args()
    from corpora.html_pages import PAGES, score
    from rag.read.webpage import parse_html, parse_html_rules

    extractors = {
        "rules (before)": _ours(parse_html_rules),
        "rag.read.webpage (now)": _ours(parse_html),
        "trafilatura default": _trafilatura(),
        "trafilatura precision": _trafilatura(favor_precision=True),
        "trafilatura recall": _trafilatura(favor_recall=True),
    }
    n = len(PAGES)
    print(f"{n} pages\n")
    print("| extractor | precision | recall | F1 | titles | authors | dates | ms/page |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for name, run in extractors.items():
        for p in PAGES:  # warm-up: imports, caches
            run(p.html)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            results = [run(p.html) for p in PAGES]
            times.append((time.perf_counter() - t0) / n * 1000)
        rows = [score(p.story, *r) for p, r in zip(PAGES, results)]

        def mean(key, rows=rows):
            return sum(float(r[key]) for r in rows) / n

        def count(key, rows=rows):
            return sum(bool(r[key]) for r in rows)

        print(f"| {name} | {mean('precision'):.3f} | {mean('recall'):.3f} | {mean('f1'):.3f} | "
              f"{count('title')}/{n} | {count('author')}/{n} | {count('date')}/{n} | "
              f"{statistics.median(times):.1f} |")
        details.append((name, rows))
    if args.pages:
        for name, rows in details:
            print(f"\n{name}")
            for p, r in zip(PAGES, rows):
                print(f"  {p.name:24s} P {r['precision']:.2f} R {r['recall']:.2f} "
                      f"title {int(r['title'])} author {int(r['author'])} date {int(r['date'])}")


if __name__ == "__main__":
    main()
