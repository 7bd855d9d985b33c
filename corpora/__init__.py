"""Made-up material that the tests and the benchmarks both measure, built in code (no binary
fixtures): saved news pages with what their story is known to be (`html_pages`), PDF and Word
files drawn line by line (`documents`), and prompt-injection attacks with the measure of what
they change (`injection`). Not part of the installed project.
"""
