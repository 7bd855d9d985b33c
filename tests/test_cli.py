"""The `rag` command: output shapes, summaries, and typed errors turned into messages and codes."""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = str(ROOT / "seeds")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER", "fake-hash")
    monkeypatch.setenv("RAG_GENERATOR", "fake-extractive")
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "60")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_index_then_ask_json(env, capsys):
    assert main(["index", SEEDS, "--index", "ix"]) == 0
    out = capsys.readouterr()
    # the question sets beside the article (every .jsonl there) are reported as skipped, not
    # indexed
    sets = sorted(p.name for p in Path(SEEDS).glob("*.jsonl"))
    assert len(sets) >= 7 and "shipped-chat.jsonl" in sets
    assert f"1 added, 0 changed, 0 unchanged, 0 removed, {len(sets)} skipped" in out.out
    assert all(name in out.err for name in sets)
    assert main(["index", SEEDS, "--index", "ix"]) == 0
    assert "0 added, 0 changed, 1 unchanged" in capsys.readouterr().out
    assert main(["ask", "Who is the CEO of Dell Technologies?", "--index", "ix", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["refused"] is False and "Michael Dell" in d["answer"]
    assert d["citations"][0]["article_id"] == "000_d2bc7125750b2eac.txt"
    assert d["citations"][0]["date"] == "2024-06-20"


def test_ask_streams_text_then_sources(env, capsys):
    main(["index", SEEDS, "--index", "ix"])
    capsys.readouterr()
    assert main(["ask", "Who is the CEO of Dell Technologies?", "--index", "ix"]) == 0
    out = capsys.readouterr().out
    answer, sources = out.split("\n\n", 1)
    assert "Michael Dell" in answer and re.search(r"\[\d\]", answer)
    assert "(2024-06-20)" in sources and "000_d2bc7125750b2eac.txt#" in sources


def test_a_checked_answer_unlike_the_streamed_text_is_printed(env, capsys):
    """A multiple-choice answer streams as the model wrote it and is given as the option."""
    main(["index", SEEDS, "--index", "ix"])
    capsys.readouterr()
    assert main(["ask", "Who confirmed the collaboration on Twitter? (Options: Tim Cook; "
                 "Michael Dell; Sam Altman)", "--index", "ix"]) == 0
    streamed, rest = capsys.readouterr().out.split("\n\n", 1)
    assert "Michael Dell" in streamed and streamed.strip() != "Michael Dell [1]"
    assert re.match(r"Answer: Michael Dell \[\d\]\n", rest)


def test_refusal_is_marked(env, capsys):
    main(["index", SEEDS, "--index", "ix"])
    capsys.readouterr()
    main(["ask", "How tall is Mount Everest in feet?", "--index", "ix"])
    out = capsys.readouterr().out
    # the refusal says the name it asks about is in no article
    assert out.startswith("The articles don't mention Mount Everest.") and "refused" in out
    # with the reason in words: nothing in the article is near this question
    assert "(refused: No passage is close enough to the question to answer it from.)" in out


def test_a_refusal_that_differs_from_what_streamed_is_printed(env, capsys):
    main(["index", SEEDS, "--index", "ix"])
    capsys.readouterr()
    main(["ask", "Did Google sponsor the Olympic swimming events in Paris?", "--index", "ix"])
    out = capsys.readouterr().out
    streamed = out.split("\n\n", 1)[0]
    assert "The articles don't mention Google." in out and "(refused:" in out
    if "Google" not in streamed:  # the draft streamed first: the refusal follows it
        assert "Answer: The articles don't mention Google." in out


def test_errors_have_messages_and_exit_codes(env, capsys):
    assert main(["ask", "anything?", "--index", "missing"]) == 3
    assert "no index at missing" in capsys.readouterr().err
    main(["index", SEEDS, "--index", "ix"])
    capsys.readouterr()
    assert main(["ask", "   ", "--index", "ix"]) == 2
    assert "question is empty" in capsys.readouterr().err
    assert main(["remove", "nope", "--index", "ix"]) == 1
    assert "no article 'nope'" in capsys.readouterr().err
    assert main(["remove", "000_d2bc7125750b2eac.txt", "--index", "ix"]) == 0
    assert main(["info", "--index", "ix"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["counts"]["articles"] == 0


def test_bad_config_value(env, capsys, monkeypatch):
    monkeypatch.setenv("RAG_K", "many")
    assert main(["ask", "q?", "--index", "ix"]) == 2
    assert "k='many'" in capsys.readouterr().err


def test_console_entry_point_runs_as_a_process(env):
    e = dict(os.environ, RAG_PLUGINS="tests.fakes", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "rag", "index", SEEDS, "--index", "ix", "--json"],
                       env=e, capture_output=True, text=True, cwd=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 1


@pytest.mark.parametrize("var,value,says", [("RAG_PREFILL", "fp8", "prefill='fp8'"),
                                            ("RAG_JUDGE_BELOW", "1.5", "judge_below=1.5"),
                                            ("RAG_PROMPT_CACHE_MB", "-1", "prompt_cache_mb=-1"),
                                            ("RAG_DECISION", "vote", "decision='vote'"),
                                            ("RAG_MIN_RIGHT", "1.5", "min_right=1.5"),
                                            ("RAG_SECOND_LOOK", "2", "second_look=2")])
def test_bad_generator_settings_are_named(env, capsys, monkeypatch, var, value, says):
    monkeypatch.setenv(var, value)
    assert main(["ask", "q?", "--index", "ix"]) == 2
    assert says in capsys.readouterr().err
