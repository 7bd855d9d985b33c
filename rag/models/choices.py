"""What the `auto` settings pick on this machine: measured once at set-up, recorded per CPU.

- `embedder_dtype = "auto"`: the fastest of the embedder's int8 export, bf16 and fp32 here;
- `prefill = "auto"`: whichever reads a prompt sooner, the Q4_K_M GGUF itself ("off") or its
  bf16 copy ("bf16", tried only where the memory holds a second, larger copy of the weights:
  `BF16_MIN_MEMORY_GIB`);
- `runtime = "auto"`: llama.cpp, unless every llama.cpp path failed here; then transformers.

`measure` runs each path in a child process (`rag.smoke`) with a real prompt of a few
hundred tokens, so a path that crashes (a segmentation fault, an illegal instruction) is recorded as
crashed, said so, and never chosen; the chat then starts on a path that worked. The record
lives in the model cache under a name made of the CPU's model and flags and the llama.cpp build,
so a cache carried to another CPU is measured afresh rather than trusted.

Without a record (set-up not run here), `auto` falls back to rules by CPU features (callers
pass `None` through to them). Left out: re-measuring by itself; `rag models check` does it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

from rag.files import atomic_write
from rag.models import cpu
from rag.models.weights import (BF16_MIN_MEMORY_GIB, DEFAULT_EMBEDDER, DEFAULT_GENERATOR, cache_dir,
                        memory_gib)

EMBEDDER_DTYPES = ("int8", "bfloat16", "float32")


def machine_key() -> str:
    build = ""
    try:
        build = json.loads(cpu.record_path().read_text()).get("key", "")
    except (OSError, ValueError):
        pass
    text = "|".join([cpu.model_name(), " ".join(sorted(cpu.flags())), build])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_file() -> Path:
    return cache_dir() / "choices" / f"{machine_key()}.json"


def load() -> dict:
    try:
        return json.loads(record_file().read_text())
    except (OSError, ValueError):
        return {}


def embedder_dtype(name: str) -> str | None:
    """The embedder precision measured fastest here for `name`, or None if not measured."""
    rec = load().get("embedder") or {}
    return rec.get("chosen") if rec.get("name") == name else None


def prefill(name: str) -> str | None:
    """What reads prompts for the generator `name` here ("off" or "bf16"), or None."""
    rec = load().get("generator") or {}
    return rec.get("prefill") if rec.get("name") == name else None


def runtime(name: str) -> str | None:
    """The local runtime that answered here for `name` ("llama.cpp" or "transformers"), or
    None if not measured."""
    rec = load().get("generator") or {}
    return rec.get("runtime") if rec.get("name") == name else None


def try_path(args: list[str], timeout: float = 900, module: str = "rag.smoke") -> dict:
    """Run `python -m rag.smoke ARGS` in a child process; its JSON result, or why it
    failed."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    try:
        p = subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                           text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"no answer after {timeout:.0f} s"}
    if p.returncode < 0:
        try:
            name = signal.Signals(-p.returncode).name
        except ValueError:
            name = f"signal {-p.returncode}"
        return {"ok": False, "error": f"crashed ({name})"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no message"])[-1]
        return {"ok": False, "error": f"failed: {last[:300]}"}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"ok": False, "error": f"printed no result: {p.stdout[-200:]!r}"}


def measure(generator: str = DEFAULT_GENERATOR, embedder: str = DEFAULT_EMBEDDER,
            say: Callable[[str], None] = print, run: Callable[[list[str]], dict] = try_path
            ) -> dict:
    """Try every path the defaults can take here, record what `auto` picks, and say it."""
    record: dict = {"cpu": cpu.model_name(), "llama_cpp_build": cpu.build_key(
        cpu.llama_build(cpu.flags())), "memory_gib": round(memory_gib(), 1)}

    tried = {d: run(["embedder", embedder, "--dtype", d]) for d in EMBEDDER_DTYPES}
    fine = {d: r["docs_per_s"] for d, r in tried.items() if r.get("ok")}
    chosen = max(fine, key=fine.get) if fine else None
    record["embedder"] = {"name": embedder, "tried": tried, "chosen": chosen}
    say(f"embedder {embedder}: " + ", ".join(
        f"{d} {r['docs_per_s']} docs/s" if r.get("ok") else f"{d} {r['error']}"
        for d, r in tried.items()) + f" -> auto: {chosen or 'none worked'}")

    paths = ["off"] + (["bf16"] if memory_gib() >= BF16_MIN_MEMORY_GIB else [])
    tried = {p: run(["generator", generator, "--runtime", "llama.cpp", "--prefill", p])
             for p in paths}
    fine = {p: r["first_token_s"] for p, r in tried.items() if r.get("ok")}
    gen: dict = {"name": generator, "tried": {f"llama.cpp prefill {p}": r
                                              for p, r in tried.items()}}
    if fine:
        gen.update(runtime="llama.cpp", prefill=min(fine, key=fine.get))
    else:
        fallback = run(["generator", generator, "--runtime", "transformers"])
        gen["tried"]["transformers"] = fallback
        gen.update(runtime="transformers" if fallback.get("ok") else None, prefill=None)
    record["generator"] = gen
    for path, r in gen["tried"].items():
        say(f"generator {generator}, {path}: " + (
            f"first token {r['first_token_s']} s, {r['tokens_per_s']} tokens/s after it"
            if r.get("ok") else r["error"]))
    if gen["runtime"] is None:
        say(f"generator {generator}: no runtime answered on this machine; the chat cannot start "
            "until one does (see the messages above; runtime = \"openai\" uses a server)")
    else:
        say(f"generator {generator} -> auto: runtime {gen['runtime']}"
            + (f", prefill {gen['prefill']}" if gen["prefill"] else ""))
        if any(not r.get("ok") for r in gen["tried"].values()):
            say("  (a path that failed here is never picked by auto; the others are safe)")
    _write(record)
    return record


def _write(record: dict) -> None:
    path = record_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(record, indent=1))
