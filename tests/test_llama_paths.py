"""Every llama.cpp path on whatever CPU runs the tests (slow: the real generator): the build has
no AMX and only this CPU's instruction sets, and a real prompt of a few hundred tokens is read
and answered through each path the defaults or a user can pick, each in a child process, so
that a crash (as llama.cpp's AMX kernels crash on Q4_K weights) fails here with its signal
rather than killing the test run. The OpenAI-compatible server path is in
tests/test_openai_generator.py; both readers' in-process answers, tests/test_real_models.py."""

import re
import subprocess
import sys

import pytest

from rag.models import choices, cpu

pytestmark = pytest.mark.slow


def system_info() -> str:
    out = subprocess.run([sys.executable, "-c",
                          "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_the_installed_build_has_no_amx_and_only_this_cpu_s_instruction_sets():
    info = system_info()
    built = set(re.findall(r"(\w+) = 1", info))
    assert "AVX" in built or not cpu.flags(), info  # the parse found the build's features
    assert not {"AMX_INT8", "AMX_BF16", "AMX_TILE"} & built, info
    assert cpu.check_llama_build() is None
    have = cpu.flags()
    for option, flags in cpu.GGML_OPTIONS:
        if option in built:
            assert all(f in have for f in flags), f"built with {option}, which this CPU lacks"


@pytest.fixture(scope="module")
def answers():
    return {p: choices.try_path(["generator", "qwen2.5-coder-1.5b", "--runtime", "llama.cpp",
                                 "--prefill", p]) for p in ("off", "bf16")}


@pytest.mark.parametrize("prefill", ["off", "bf16"])
def test_each_prompt_reader_answers_a_real_prompt_without_crashing(answers, prefill):
    result = answers[prefill]
    assert result.get("ok"), f"prefill {prefill}: {result.get('error')}"
    assert "ship" in result["answer"].lower() or "60" in result["answer"], result


def test_both_readers_give_the_same_answer(answers):
    """The bf16 copy is lossless and only reads the prompt: the Q4_K_M weights write."""
    assert answers["off"]["answer"] == answers["bf16"]["answer"]
