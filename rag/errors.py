"""Typed errors. Each says what was wrong, with which file or value, and what to do about it.

Front ends turn these into messages and exit codes; nothing below them prints.
"""


class RagError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 1


class ConfigError(RagError):
    exit_code = 2


class ArticleError(RagError):
    """One article could not be read; the rest of a run goes on without it."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class IndexMissing(RagError):
    exit_code = 3


class IndexCorrupt(RagError):
    exit_code = 4


class IndexMismatch(RagError):
    exit_code = 4


class ModelMissing(RagError):
    exit_code = 5


class QuestionError(RagError):
    exit_code = 2


class EmbedderChanged(IndexMismatch):
    """An embedding endpoint returns other vectors than the ones the index was built with."""


class EmbedderUnavailable(RagError):
    """An embedding endpoint cannot be reached or refuses, after retries."""

    exit_code = 5  # like a missing model: nothing embeds
