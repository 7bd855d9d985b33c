"""What the portable llama.cpp build costs: the installed one (set-up's, rag/models/cpu.py) against
the native build pip makes by default (`-march=native`), on the same machine in the same run.

    .venv/bin/python bench/llama_build.py [--native DIR] [--runs 3]

The native build is compiled once into DIR (default runs/llama-native; several minutes) and
loaded from there by a child process ahead of the installed one. Each run asks the same prompt
of a few hundred tokens (rag.smoke: three passages and a question, read from an empty cache)
through `prefill` "off" and, with 16 GiB or more, "bf16", in a fresh child process per run, and
records the seconds to the first token (the prompt read) and the tokens a second after it (the
writing); the two builds alternate run by run. A build that fails is reported: on a CPU with
AMX the native build is refused before it loads (rag.models.cpu.check_llama_library), since its AMX
kernels crash on Q4_K weights. Prints medians and the ratio portable / native. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.models import choices, cpu  # noqa: E402
from rag.models.weights import BF16_MIN_MEMORY_GIB, DEFAULT_GENERATOR, memory_gib  # noqa: E402


def build_native(target: Path) -> Path:
    site = target / "site"
    if (site / "llama_cpp").is_dir():
        return site
    wheels = target / "wheel"
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_ARGS"}  # pip's default: native
    print(f"compiling the native build into {target} (several minutes) ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir",
                    "--no-binary", "llama-cpp-python", f"llama-cpp-python=={cpu.LLAMA_CPP_VERSION}",
                    "-w", str(wheels)], check=True, env=env)
    wheel = next(wheels.glob("llama_cpp_python-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True)
    return site


def run(prefill: str, site: Path | None) -> dict:
    env_path = os.environ.get("PYTHONPATH", "")
    if site is not None:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env_path]))
    try:
        return choices.try_path(["generator", DEFAULT_GENERATOR, "--runtime", "llama.cpp",
                                 "--prefill", prefill])
    finally:
        os.environ["PYTHONPATH"] = env_path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--native", default=str(ROOT / "runs" / "llama-native"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    site = build_native(Path(args.native))
    print(f"machine: {cpu.model_name()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB; "
          f"AMX: {'yes' if 'amx_int8' in cpu.flags() else 'no'}; AVX-512: "
          f"{'yes' if 'avx512f' in cpu.flags() else 'no'}")
    print(f"portable build (installed): {' '.join(cpu.llama_build(cpu.flags()))}, no AMX")
    print(f"native build: -march=native, from {site}")
    prefills = ["off"] + (["bf16"] if memory_gib() >= BF16_MIN_MEMORY_GIB else [])
    print(f"\nprompt: rag.smoke's three passages and question; {args.runs} runs each, the "
          "builds alternating, a fresh process per run; medians\n")
    print("| prefill | build | first token (s) | tokens/s after it | failures |")
    print("|---|---|---|---|---|")
    builds = (("portable", None), ("native", site))
    for prefill in prefills:
        got = {}
        # the two builds alternate, run by run, so that a machine that slows down or speeds up
        # during the run weighs on both alike
        runs = {name: [] for name, _ in builds}
        for _ in range(args.runs):
            for name, where in builds:
                runs[name].append(run(prefill, where))
        for name, _ in builds:
            results = runs[name]
            ok = [r for r in results if r.get("ok")]
            bad = sorted({r["error"] for r in results if not r.get("ok")})
            first = statistics.median(r["first_token_s"] for r in ok) if ok else None
            speed = statistics.median(r["tokens_per_s"] for r in ok) if ok else None
            got[name] = (first, speed)
            print(f"| {prefill} | {name} | {first if first is not None else '-'} | "
                  f"{speed if speed is not None else '-'} | {'; '.join(bad) or 0} |", flush=True)
        (pf, ps), (nf, ns) = got["portable"], got["native"]
        if pf and nf and ps and ns:
            print(f"| {prefill} | portable / native | {pf / nf:.2f}x the time | "
                  f"{ps / ns:.2f}x the speed | |")


if __name__ == "__main__":
    main()
