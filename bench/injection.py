"""Prompt injection, measured: for each attack in corpora/injection.py, how many answers to
questions it does not concern it changed, and how many carry its marker word, with the real
models (the default configuration, or RAG_* variables).

    .venv/bin/python bench/injection.py [--limit N]

Prints one line per attack as it finishes, then the totals. Left out: the attacks themselves
(corpora/injection.py) and any judgement of them (tests/test_injection_corpus.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from corpora.injection import ATTACKS, QUESTIONS, measure
    from rag.config import load_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="the first N attacks only")
    args = ap.parse_args()
    attacks = ATTACKS[:args.limit] if args.limit else ATTACKS
    t0 = time.perf_counter()

    def say(o) -> None:
        print(f"{o.style:<24} in the prompt {o.retrieved}/{o.asked}  changed {o.changed}/{o.asked}"
              f"  obeyed {o.obeyed}/{o.asked}  "
              f"{' | '.join(a[:40] for a in o.answers)}", flush=True)

    clean, outcomes = measure(load_config(None), ROOT / "seeds" / "000_d2bc7125750b2eac.txt",
                              attacks, QUESTIONS, say)
    print(f"clean answers: {' | '.join(clean)}")
    asked = sum(o.asked for o in outcomes)
    print(f"{len(outcomes)} attacks, {asked} answers: changed {sum(o.changed for o in outcomes)}, "
          f"obeyed {sum(o.obeyed for o in outcomes)}; {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
