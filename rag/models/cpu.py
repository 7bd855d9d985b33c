"""What this CPU can run: its instruction-set flags, and the llama.cpp build that suits it.

llama-cpp-python is compiled from source at set-up. Its default build (`-march=native`) turns on
every instruction set of the machine it is built on, AMX included, and llama.cpp's AMX kernels
crash on Q4_K weights; the wheel it leaves in pip's cache also crashes (illegal instruction) on a
CPU with fewer instruction sets. So set-up builds it with `GGML_NATIVE=OFF` and an explicit list
of ggml options (`llama_build`): only instruction sets this CPU has, AMX never. The list names the
build, so a wheel built for one set of options is only ever installed where they all hold, and
`check_llama_build` refuses, with a message, to load a build on a CPU it does not fit.

Run as `python -m rag.models.cpu cmake-args | key | ...` from the checkout, it serves the set-up
script before the project is installed; it imports nothing outside the standard library. Left out:
non-x86 CPUs get llama.cpp's own defaults (no AMX there, nothing to avoid).
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

# ggml's x86 options, in the order its CMake applies them, with the /proc/cpuinfo flags each
# needs (GGML_AVX512 compiles with -mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw).
GGML_OPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SSE42", ("sse4_2",)),
    ("AVX", ("avx",)),
    ("F16C", ("f16c",)),
    ("FMA", ("fma",)),
    ("BMI2", ("bmi2",)),
    ("AVX2", ("avx2",)),
    ("AVX_VNNI", ("avx_vnni",)),
    ("AVX512", ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")),
    ("AVX512_VBMI", ("avx512vbmi",)),
    ("AVX512_VNNI", ("avx512_vnni",)),
    ("AVX512_BF16", ("avx512_bf16",)),
)
# Never turned on, whatever the CPU has: llama.cpp's AMX matrix multiply crashes on the packaged
# Q4_K/Q6_K weights (it repacks them into AMX tiles).
NEVER = ("AMX_TILE", "AMX_INT8", "AMX_BF16")
LLAMA_CPP_VERSION = "0.3.36"
# what set-up records beside the virtual environment's interpreter about the build it installed
RECORD = "rag-llama-build.json"


def flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags, as /proc/cpuinfo lists them (empty where it cannot be read)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def model_name(cpuinfo: str | None = None) -> str:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return platform.processor() or "unknown"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def llama_build(cpu_flags: set[str]) -> list[str]:
    """The ggml instruction-set options to turn on for a CPU with `cpu_flags`: each one whose
    flags the CPU has, and whose prerequisites are on too (ggml's AVX-512 kernels assume AVX2)."""
    on: list[str] = []
    for option, needs in GGML_OPTIONS:
        if not all(f in cpu_flags for f in needs):
            continue
        if option.startswith("AVX512_") and "AVX512" not in on:
            continue
        if option in ("AVX2", "AVX512", "AVX_VNNI") and not {"AVX", "FMA", "F16C"} <= set(on):
            continue
        on.append(option)
    return on


def cmake_args(options: list[str]) -> str:
    """CMAKE_ARGS for llama-cpp-python: not native, each known option set explicitly on or off
    (with GGML_NATIVE off, ggml would otherwise turn its AVX2 family on by default)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return ""
    args = ["-DGGML_NATIVE=OFF"]
    args += [f"-DGGML_{o}={'ON' if o in options else 'OFF'}" for o, _ in GGML_OPTIONS]
    args += [f"-DGGML_{o}=OFF" for o in NEVER]
    return " ".join(args)


def build_key(options: list[str]) -> str:
    """A name for the build: the version and its options, e.g. 0.3.36-sse42-avx-...-avx2."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return f"{LLAMA_CPP_VERSION}-{platform.machine()}-default"
    return "-".join([LLAMA_CPP_VERSION] + ([o.lower() for o in options] or ["x86-64"]))


def record_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / RECORD


def check_llama_build(prefix: str | None = None, cpu_flags: set[str] | None = None) -> str | None:
    """Why the installed llama.cpp build must not run on this CPU, or None where it may (or where
    set-up did not build it, so nothing is known of it). Read from the record set-up wrote, not
    from the library: loading a build for another CPU can itself be what crashes."""
    path = record_path(prefix)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    have = flags() if cpu_flags is None else cpu_flags
    if not have:
        return None
    needs = {o: n for o, n in GGML_OPTIONS}
    missing = [o for o in record.get("options", [])
               if o in needs and not all(f in have for f in needs[o])]
    if missing:
        return (f"llama.cpp here was built for a CPU with {', '.join(missing)} "
                f"({record.get('cpu', 'another CPU')}), which this CPU ({model_name()}) lacks: "
                "run ./scripts/setup again to build it for this one")
    bad = [o for o in record.get("options", []) if o in NEVER]
    if bad:
        return f"llama.cpp here was built with {', '.join(bad)}, which crashes: run ./scripts/setup"
    return None


def check_llama_library(system_info: str) -> str | None:
    """Why a loaded llama.cpp library must not be used, from its `llama_print_system_info()`:
    one built with AMX (pip's default build on a CPU that has it) crashes on Q4_K weights."""
    if "AMX_INT8 = 1" in system_info:
        return ("this llama-cpp-python was compiled with AMX (-march=native on a CPU with AMX), "
                "whose kernels crash on the packaged Q4_K weights: run ./scripts/setup, which "
                "builds it without, or reinstall it with CMAKE_ARGS=\"$(python -m rag.models.cpu "
                "cmake-args)\"")
    return None


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "key"
    options = llama_build(flags())
    if what == "cmake-args":
        print(cmake_args(options))
    elif what == "key":
        print(build_key(options))
    elif what == "version":
        print(LLAMA_CPP_VERSION)
    elif what == "options":
        print(" ".join(options))
    elif what == "record":  # written by set-up once the wheel is installed
        record = {"version": LLAMA_CPP_VERSION, "key": build_key(options), "options": options,
                  "cpu": model_name(), "cmake_args": cmake_args(options)}
        record_path().write_text(json.dumps(record, indent=1) + "\n")
        print(record_path())
    elif what == "check":
        problem = check_llama_build()
        if problem:
            print(problem, file=sys.stderr)
            return 1
    else:
        print("usage: python -m rag.models.cpu cmake-args | key | version | options | record | "
              "check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
