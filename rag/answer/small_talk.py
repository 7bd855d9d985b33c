"""A greeting, thanks or goodbye typed into the chat: "hi", "thanks!", "bye".

Such a message asks nothing of the articles, and "The articles don't say." is no answer to it.
It gets a short reply of its own, said without searching or generating, and counts as no answer
(nothing in it is claimed from the articles, so nothing is cited). A message that also asks
something ("hi, who founded xAI?") is a question, and is answered as one.

Left out: other small talk ("how are you?", "who are you?"), which is searched and, finding
nothing, refused as any question the articles do not answer.
"""

from __future__ import annotations

import re

KIND = "small talk"  # the `kind` its answer's checks record, for a front end to tell it apart

_POLITE = r"(?:\s+(?:there|again|all|everyone|so much|a lot|very much|you|guys))*"
_REPLIES = [
    (re.compile(rf"(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening))"
                rf"{_POLITE}", re.IGNORECASE),
     "Hello! Ask me a question about the articles, and I will answer with the passages the answer "
     "comes from."),
    (re.compile(rf"(?:(?:ok(?:ay)?|great|perfect|cool|nice|got it)[,!.]?\s+)?(?:thanks|thank you|"
                rf"thx|ty|cheers|much appreciated){_POLITE}", re.IGNORECASE),
     "You're welcome. Ask another question whenever you like."),
    (re.compile(rf"(?:bye|goodbye|see you|see ya|good night){_POLITE}", re.IGNORECASE),
     "Goodbye!"),
]


def reply(message: str) -> str | None:
    """The reply to a greeting, thanks or goodbye, or None where the message is anything else."""
    text = re.sub(r"[\s!.,:;)(\-~*]+$", "", message.strip())
    for pattern, said in _REPLIES:
        if pattern.fullmatch(text):
            return said
    return None
