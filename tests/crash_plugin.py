"""Loaded into a child process by test_store: makes the index write hang half-way, after the
vectors are on disk but before the version is switched, so the test can kill it right there."""

import os
import time

import faiss

_real = faiss.write_index


def _write_then_hang(index, path):
    _real(index, path)
    open(os.environ["RAG_TEST_MARKER"], "w").close()
    time.sleep(600)


faiss.write_index = _write_then_hang
