"""What a chat's follow-up questions are searched as: the generator's standalone rewrite, checked.

    .venv/bin/python bench/follow_ups.py [--index DIR]

Each case is one exchange (a question and its answer, as the chat shows it) and a follow-up with
a pronoun or an ellipsis. The pipeline's `rewrite` turns the follow-up into what is searched and
answered (rag.answer.prompt.standalone). A case counts where that is a question (it ends with
"?") naming what the follow-up refers to, and holding no "[...]" template. Two sets: the follow-ups
the rewrite's rules were written on, and ones written afterwards and not chosen on. Prints each
rewrite and the counts, with the machine. Only the generator runs (no retrieval: `--index` is the
index whose configuration loads it, the shipped article's by default). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# (the question, its answer), the follow-up, a word what is searched must name
WRITTEN_ON = [
    (("Who founded xAI?", "Elon Musk [1]"), "What else is he known for?", "Musk"),
    (("Who founded xAI?", "Elon Musk [1]"), "What is he known for?", "Musk"),
    (("Who founded xAI?", "Elon Musk [1]"), "What else did he found?", "Musk"),
    (("What is Grok?", "Grok is expected to be a generative AI model [1]."),
     "Who is building the hardware for it?", "Grok"),
    (("What is Grok?", "Grok is expected to be a generative AI model [1]."),
     "Is it similar to ChatGPT?", "Grok"),
    (("Tell me about Nvidia's role.",
      "Nvidia, a leader in GPUs and AI chips, has experienced a surge in market value [1]."),
     "Why has its market value surged?", "Nvidia"),
    (("Who is the CEO of Dell Technologies?", "Michael Dell [1]"),
     "Where did he confirm the collaboration?", "Michael Dell"),
    (("Which companies are building the AI factory?", "Dell Technologies, Nvidia [1]"),
     "What does each of them contribute?", "Dell"),
    (("Who won Taiwan's presidential election in January 2024?", "Lai Ching-te [1]"),
     "Which party does he belong to?", "Lai"),
    (("What happened to Alaska Airlines Flight 1282?", "A door plug blew out mid-flight [1]."),
     "Why did that happen?", "door plug"),
    (("Who founded xAI?", "Elon Musk [1]"), "And when was the article published?", "article"),
    (("Who founded xAI?", "Elon Musk [1]"), "What is Grok?", "Grok"),
]
WRITTEN_AFTER = [
    (("Who is the CEO of Dell Technologies?", "Michael Dell [1]"), "What did he say on Twitter?",
     "Michael Dell"),
    (("What is Nvidia a leader in?", "Graphics processing units (GPUs) and AI chips [1]"),
     "Why is its value rising?", "Nvidia"),
    (("Who is developing Grok?", "xAI [1]"), "Who founded it?", "xAI"),
    (("Who is Michael Dell?", "Michael Dell is the CEO of Dell Technologies [1]."),
     "What is his company building?", "Dell"),
    (("What will Dell provide?", "Server racks [1]"), "And Nvidia?", "Nvidia"),
    (("Who won the darts world championship?", "Luke Humphries [1]"), "How old is he?",
     "Humphries"),
    (("What did activists throw at the Mona Lisa?", "Soup [1]"), "Why did they do it?",
     "Mona Lisa"),
    (("Who won Taiwan's election?", "Lai Ching-te [1]"), "Who did he beat?", "Lai"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    from rag.config import load_config
    from rag.pipeline import Pipeline

    pipe = Pipeline.open(load_config(index=args.index), load_generator=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"generator {pipe.config.generator}")
    for name, cases in (("written on", WRITTEN_ON), ("written after", WRITTEN_AFTER)):
        good = 0
        for (asked, answered), follow_up, names in cases:
            history = [{"role": "user", "content": asked},
                       {"role": "assistant", "content": answered}]
            searched = pipe.rewrite(follow_up, history)
            ok = (searched.endswith("?") and names.lower() in searched.lower()
                  and "[" not in searched)
            good += ok
            print(f"  {'ok ' if ok else 'BAD'} {follow_up!r} -> {searched!r}")
        print(f"{name}: {good} of {len(cases)}")


if __name__ == "__main__":
    main()
