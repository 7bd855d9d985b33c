"""Batch evaluation: run a question set through the same `Pipeline` as every other front end and
measure retrieval, answers, refusals, citations and latency.

One module per job: `questions` reads the three question-set formats, `sample` draws a fixed
sample, `metrics` scores one question and a whole run, `runner` asks the questions (resumable),
`report` writes the HTML report, `compare` sets two runs side by side, and `command` is what
`rag eval` calls. Retrieval and prompting are never re-implemented here: only `Pipeline.retrieve`
and `Pipeline.ask` are used.
"""
