"""Why an answer was refused, in words for the people who read it (the chat, `rag ask`).

`REASONS` holds a sentence for each check of the refusal policy (rag.answer.refusal), by the name
`Answer.checks["refused_by"]` gives; `why_refused` fills in what the check found (the names no
passage holds, the judge's confidence, the model's certainty). Left out: the decision itself
(rag.answer.refusal).
"""

from __future__ import annotations

# Why an answer was refused, by the check that refused it (Answer.checks["refused_by"]).
REASONS = {
    "retrieval": "No passage is close enough to the question to answer it from.",
    "which_article": "The question asks about an article as a whole, and the index holds "
                     "{articles} articles: name the article or its topic (\"Summarize the "
                     "article about ...\").",
    "model": "The model found no answer in these passages.",
    "small talk": "A greeting or thanks asks nothing of the articles.",
    "novel": "The draft answer named things no passage holds ({terms}), so it was withheld.",
    "support": "No passage supports the draft answer's sentences, so it was withheld.",
    "echo": "The draft answer only repeated words of the question, so it was withheld.",
    "place": "The question asks where, and the draft answer names a company that no passage "
             "gives as a place, so it was withheld.",
    "option": "The draft answer named none of the question's options, so it was withheld.",
    "choice": "No option was likely enough by the passages (the likeliest, {option}, had "
              "{option_p}), so none was given.",
    "unsure": "The model was unsure of its draft answer's words (the least likely had "
              "{certainty}), a sign the passages do not state it, so it was withheld.",
    "judge": "Checked against the passages it cited, the draft answer is not stated there "
             "clearly enough (the generator's confidence: {confidence}), so it was withheld.",
    "judge_score": "Checked against the passages it cited, the draft answer is too likely "
                   "wrong (the estimated chance that it is right: {right}), so it was withheld.",
}


def why_refused(checks: dict | None) -> str:
    """A refusal's reason in words, for the chat and the CLI."""
    why = (checks or {}).get("refused_by")
    if why not in REASONS:
        return "Nothing retrieved answers this."
    p = checks.get("judge_p_yes")
    c = checks.get("confidence")
    if why == "retrieval" and checks.get("articles", 0) > 1:
        return REASONS["which_article"].format(articles=f"{checks['articles']:,}")
    if why == "judge" and checks.get("p_right") is not None:
        return REASONS["judge_score"].format(right=f"{checks['p_right']:.0%}")
    return REASONS[why].format(terms=", ".join((checks.get("novel_terms") or [])[:5]),
                               confidence="unknown" if p is None else f"{p:.0%}",
                               certainty="unknown" if c is None else f"{c:.0%}",
                               option=checks.get("option"),
                               option_p=f"{checks.get('option_p', 0.0):.0%}")
