"""What `auto` picks (rag.models.choices): each path tried in a child process, a crash caught, named
and never chosen, the fastest of the rest recorded for this CPU, and read back by the factories."""

import sys

import pytest

from rag import registry

from rag.models import choices


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path))
    return tmp_path


def runner(results: dict):
    """A stand-in for the child processes: the result each path's arguments would give."""
    asked = []

    def run(args):
        asked.append(args)
        key = args[-1] if args[0] == "embedder" else " ".join(args[2:])
        return results[key]
    run.asked = asked
    return run


OK_EMBEDDERS = {"int8": {"ok": True, "docs_per_s": 30.0},
                "bfloat16": {"ok": True, "docs_per_s": 51.0},
                "float32": {"ok": True, "docs_per_s": 20.0}}


def fast(first):
    return {"ok": True, "first_token_s": first, "tokens_per_s": 20.0, "answer": "ships [1]"}


def test_the_fastest_working_paths_are_recorded_and_read_back(cache, monkeypatch):
    monkeypatch.setattr(choices, "memory_gib", lambda: 24.0)
    said = []
    run = runner({**OK_EMBEDDERS, "--runtime llama.cpp --prefill off": fast(4.7),
                  "--runtime llama.cpp --prefill bf16": fast(8.7)})
    record = choices.measure("gen", "emb", say=said.append, run=run)
    assert record["embedder"]["chosen"] == "bfloat16"
    assert record["generator"]["runtime"] == "llama.cpp"
    assert record["generator"]["prefill"] == "off"
    assert choices.record_file().parent.parent == cache
    assert choices.embedder_dtype("emb") == "bfloat16" and choices.embedder_dtype("other") is None
    assert choices.prefill("gen") == "off" and choices.runtime("gen") == "llama.cpp"
    assert any("auto: bfloat16" in line for line in said)
    assert any("prefill bf16: first token 8.7 s" in line for line in said)


def test_a_crashed_path_is_said_and_never_chosen(cache, monkeypatch):
    monkeypatch.setattr(choices, "memory_gib", lambda: 24.0)
    said = []
    run = runner({**OK_EMBEDDERS, "--runtime llama.cpp --prefill off": fast(4.7),
                  "--runtime llama.cpp --prefill bf16": {"ok": False,
                                                         "error": "crashed (SIGSEGV)"}})
    choices.measure("gen", "emb", say=said.append, run=run)
    assert choices.prefill("gen") == "off"
    assert any("prefill bf16: crashed (SIGSEGV)" in line for line in said)
    assert any("never picked" in line for line in said)


def test_when_every_llama_cpp_path_crashes_the_transformers_runtime_answers(cache, monkeypatch):
    monkeypatch.setattr(choices, "memory_gib", lambda: 8.0)  # no bf16 reader under 16 GiB
    crash = {"ok": False, "error": "crashed (SIGILL)"}
    run = runner({**OK_EMBEDDERS, "--runtime llama.cpp --prefill off": crash,
                  "--runtime transformers": fast(6.0)})
    record = choices.measure("gen", "emb", say=lambda _: None, run=run)
    assert ["generator", "gen", "--runtime", "llama.cpp", "--prefill", "bf16"] not in run.asked
    assert record["generator"]["runtime"] == "transformers"
    assert choices.runtime("gen") == "transformers" and choices.prefill("gen") is None


def test_the_record_belongs_to_this_cpu(cache, monkeypatch):
    run = runner({**OK_EMBEDDERS, "--runtime llama.cpp --prefill off": fast(1.0),
                  "--runtime llama.cpp --prefill bf16": fast(2.0)})
    choices.measure("gen", "emb", say=lambda _: None, run=run)
    assert choices.embedder_dtype("emb") == "bfloat16"
    monkeypatch.setattr(choices.cpu, "model_name", lambda: "another CPU")
    assert choices.embedder_dtype("emb") is None and choices.load() == {}


def test_a_child_that_crashes_is_reported_by_its_signal(tmp_path, monkeypatch):
    (tmp_path / "crasher.py").write_text("import ctypes\nctypes.string_at(0)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    result = choices.try_path([], module="crasher")
    assert result == {"ok": False, "error": "crashed (SIGSEGV)"}


def test_a_child_that_fails_reports_its_last_words(tmp_path, monkeypatch):
    (tmp_path / "failer.py").write_text("raise SystemExit('no model here')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert choices.try_path([], module="failer") == {"ok": False,
                                                    "error": "failed: no model here"}


def test_the_smoke_module_runs_a_real_child_process(cache):
    """The fake embedder through the real child-process path: its result comes back."""
    result = choices.try_path(["embedder", "fake-hash", "--dtype", "float32"])
    assert result["ok"] and result["docs_per_s"] > 0, result


def test_auto_precision_follows_the_record(cache, monkeypatch):
    run = runner({**OK_EMBEDDERS, "--runtime llama.cpp --prefill off": fast(1.0),
                  "--runtime llama.cpp --prefill bf16": fast(2.0)})
    choices.measure("gen", "emb", say=lambda _: None, run=run)
    made = []
    monkeypatch.setattr(registry, "_LOADED", {})
    real = registry.embedder

    def spy(name, dtype="auto", threads=0):
        made.append((name, dtype))
        if dtype == "auto":
            return real(name, dtype, threads)
        return f"{name}@{dtype}"
    monkeypatch.setattr(registry, "embedder", spy)
    assert registry.embedder("emb") == "emb@bfloat16"
    assert made == [("emb", "auto"), ("emb", "bfloat16")]
