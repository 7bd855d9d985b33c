"""The llama.cpp build chosen per CPU (rag.models.cpu): never native, never AMX, only instruction
sets the CPU has, and a build for another CPU refused with a message before it is loaded."""

import json

import pytest

from rag.models import cpu

# Flags as /proc/cpuinfo lists them on three machines this project meets.
MILAN = ("fpu sse sse2 ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand "
         "bmi1 avx2 bmi2 erms sha_ni vaes vpclmulqdq")
GENOA = MILAN + (" avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 "
                 "avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg")
SAPPHIRE_RAPIDS = GENOA + " avx_vnni amx_bf16 amx_tile amx_int8 avx512_fp16"
OLD = "fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx"


def build(flags: str) -> list[str]:
    return cpu.llama_build(cpu.flags(f"processor: 0\nflags\t\t: {flags}\n"))


def test_an_avx2_cpu_gets_the_avx2_family_and_nothing_wider():
    assert build(MILAN) == ["SSE42", "AVX", "F16C", "FMA", "BMI2", "AVX2"]


def test_avx512_options_follow_the_cpu_s_own_extensions():
    assert build(GENOA) == ["SSE42", "AVX", "F16C", "FMA", "BMI2", "AVX2", "AVX512",
                            "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"]


def test_a_cpu_with_amx_never_gets_amx():
    options = build(SAPPHIRE_RAPIDS)
    assert "AVX512_BF16" in options and "AVX_VNNI" in options
    assert not any(o.startswith("AMX") for o in options)
    args = cpu.cmake_args(options)
    assert "-DGGML_NATIVE=OFF" in args
    for amx in ("AMX_TILE", "AMX_INT8", "AMX_BF16"):
        assert f"-DGGML_{amx}=OFF" in args


def test_an_older_cpu_gets_no_instruction_set_it_lacks():
    options = build(OLD)
    assert options == ["SSE42", "AVX"]
    args = cpu.cmake_args(options)
    # explicitly off: with GGML_NATIVE off, ggml would turn its AVX2 family on by default
    assert "-DGGML_AVX2=OFF" in args and "-DGGML_FMA=OFF" in args and "-DGGML_F16C=OFF" in args


def test_every_known_option_is_set_explicitly_and_the_key_names_the_options():
    options = build(MILAN)
    args = cpu.cmake_args(options).split()
    assert len(args) == 1 + len(cpu.GGML_OPTIONS) + len(cpu.NEVER)
    assert cpu.build_key(options) == f"{cpu.LLAMA_CPP_VERSION}-sse42-avx-f16c-fma-bmi2-avx2"
    assert cpu.build_key(build(GENOA)) != cpu.build_key(options)


def write_record(prefix, options):
    (prefix / cpu.RECORD).write_text(json.dumps({"options": options, "cpu": "AMD EPYC 9B14"}))


def test_a_build_for_a_wider_cpu_is_refused_with_what_to_do(tmp_path):
    write_record(tmp_path, build(GENOA))
    problem = cpu.check_llama_build(str(tmp_path), cpu.flags(f"flags\t: {MILAN}"))
    assert problem and "AVX512" in problem and "./scripts/setup" in problem
    assert cpu.check_llama_build(str(tmp_path), cpu.flags(f"flags\t: {GENOA}")) is None


def test_a_recorded_amx_build_is_refused(tmp_path):
    write_record(tmp_path, build(SAPPHIRE_RAPIDS) + ["AMX_INT8"])
    problem = cpu.check_llama_build(str(tmp_path), cpu.flags(f"flags\t: {SAPPHIRE_RAPIDS}"))
    assert problem and "AMX_INT8" in problem


@pytest.mark.parametrize("content", [None, "not json"])
def test_no_record_means_nothing_is_known_and_nothing_refused(tmp_path, content):
    if content is not None:
        (tmp_path / cpu.RECORD).write_text(content)
    assert cpu.check_llama_build(str(tmp_path), cpu.flags(f"flags\t: {MILAN}")) is None


def test_a_library_compiled_with_amx_is_refused_by_what_it_reports():
    amx = ("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | "
           "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |")
    problem = cpu.check_llama_library(amx)
    assert problem and "AMX" in problem and "cmake-args" in problem
    assert cpu.check_llama_library(amx.replace("AMX_INT8 = 1 | ", "")) is None
