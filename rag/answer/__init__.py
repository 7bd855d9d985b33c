"""Answering: passages into a checked answer.

`asking` reads what a question asks for, `prompt` writes the generator's chat, `runtimes` run
the generator, `citations` check the draft against the passages, `judge` asks the generator
about it, `verdict` weighs the signals, and `refusal` decides, with `reasons` saying why in
words. rag.pipeline calls them in that order.
"""
