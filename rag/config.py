"""Configuration: defaults, then a TOML file, then RAG_* environment variables, then flags.

The file is `rag.toml` in the working directory, or the one `RAG_CONFIG` names; its keys are the
field names below (for example `generator = "qwen2.5-coder-0.5b"`). Environment variables are the
upper-cased names with a `RAG_` prefix (`RAG_INDEX`, `RAG_GENERATOR`, `RAG_K`, ...).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from rag.errors import ConfigError
from rag.models.weights import DEFAULT_EMBEDDER, DEFAULT_GENERATOR


RETRIEVAL_MODES = ("dense", "bm25", "rrf", "convex")
# The runtimes shipped here; a plugin may register more (rag.registry), so a name that is none of
# these is checked when the generator is loaded.
RUNTIMES = ("auto", "llama.cpp", "transformers", "openai")
QUERY_ENCODERS = ("onnx-int8", "torch")
ANSWER_STYLES = ("auto", "short", "sentence", "examples")


@dataclass(frozen=True)
class Config:
    index: str = "index"
    embedder: str = DEFAULT_EMBEDDER  # used when building; queries use the index's own
    # "auto": the fastest measured at set-up on this CPU (rag.models.choices); unmeasured, the
    # int8 ONNX export where it reproduces the model, else bfloat16 where the CPU has it natively,
    # else float32 (rag.registry.embedder)
    embedder_dtype: str = "auto"
    # questions: "onnx-int8" (an int8 export of the index's embedder, which spares a question
    # PyTorch's per-call overhead) or "torch"
    query_encoder: str = "onnx-int8"
    generator: str = DEFAULT_GENERATOR
    # llama.cpp: as good on the seed set as transformers, and faster (docs/cpu.md).
    # "auto": llama.cpp unless set-up found it failing on this CPU, then transformers
    # (rag.models.choices); or "openai" (a server)
    runtime: str = "auto"
    generator_url: str = ""  # for runtime "openai": the API base, e.g. http://gpu-box:8000/v1
    # llama.cpp: what reads the prompt. "bf16": a bf16 copy of the packaged weights (faster at
    # it on some CPUs with native bf16); "off": the GGUF itself; "auto": the faster of the two
    # measured at set-up (rag.models.choices), unmeasured: bf16 where the CPU has native bf16 and
    # the memory for a second copy (rag.models.weights.bf16_prefill_pays)
    prefill: str = "auto"
    # llama.cpp: memory for the states after prompt heads (system turn, passages), so a question
    # whose prompt starts with passages read before starts after them
    # (rag.answer.runtimes.prompt_cache)
    prompt_cache_mb: int = 512
    # documents embedded through an OpenAI-compatible `POST /v1/embeddings` at this API base (a
    # GPU box running TEI, vLLM or Infinity, or another `rag serve`); "" embeds here
    # (rag.index.remote_embedder)
    embed_url: str = ""
    vectors: str = "faiss"  # or a Milvus URI: a Milvus Lite file ("milvus.db") or http://host:19530
    k: int = 3  # passages put in the prompt (more answered worse on the seed set, and read slower)
    retrieval: str = "convex"  # dense | bm25 | rrf | convex (chosen by measurement: rag.retrieval)
    candidates: int = 50  # depth of each list before fusion
    dense_weight: float = 0.5  # for "convex"
    chunk_tokens: int = 200
    chunk_overlap: int = 1  # sentences shared by neighbouring chunks
    passage_sentences: int = 0  # > 0: the prompt holds only that many sentences of a passage
    whole_passages: int = 1  # ... except the best this many, which it holds whole
    # "auto": by the question's kind (rag.answer.asking): a short phrase for a name, date, number or
    # option, yes or no with the deciding fact, every item of a list, one to three sentences for
    # why and how; or one style for all: "short" (the few words from a passage that answer,
    # cited), "sentence" (one or two sentences), "examples" (short, after worked examples)
    answer_style: str = "auto"
    max_new_tokens: int = 200
    # passages stop before this many tokens: the generator's context (4096 with llama.cpp) also
    # holds the instructions, the question and the answer; a larger `k` keeps only what fits
    prompt_tokens: int = 2800
    # the HTTP API's questions waiting or being answered at once; past it a 503 with Retry-After
    max_queue: int = 8
    min_score: float = 0.15  # below this retrieval score nothing is asked: refuse at once
    min_support: float = 0.5  # share of a sentence's content words its passage must hold
    judge: int = 1  # the generator checks its answer: 0 no, 1 against the cited text alone, 2 as
    # a follow-up in the answer's conversation, 3 in the answer's own prompt (faster, about as
    # good on the development parts, two more wrong on the shipped set: rag.answer.judge)
    # the judge's P(yes) below which an answer is refused: chosen on development samples of the
    # seed set and SQuAD 2.0 (docs/eval.md, "The refusal trade-off")
    min_judge: float = 0.7
    # the lowest probability the model may have given a word of its answer before it is refused
    # as unsure (local runtimes; chosen on the development samples like min_judge)
    min_confidence: float = 0.3
    # answers the model was at least this sure of (every word) are not judged; 1: all are (the
    # default: on the SQuAD development samples skipping the judge let wrong answers through)
    judge_below: float = 1.0
    # how the judge's P(yes), the certainty and the retrieval strength decide a refusal: "score"
    # (rag.answer.verdict: refused under `min_right`, where the runtime reports the certainty and
    # the judge is 1 or 3) or "thresholds" (`min_judge` and `min_confidence` each alone)
    decision: str = "score"
    min_right: float = 0.35  # chosen on the development parts of three sets (docs/eval.md)
    # 1: where the model refuses although retrieval found passages, it is asked once more with
    # the refusal barred, and that draft goes through every check (rag.pipeline); 0: its
    # refusal stands
    second_look: int = 1
    # ... and that draft is refused under this `p_right` (decision "score"), not `min_right`: the
    # model's own refusal counts against it (chosen on the development parts, docs/eval.md)
    second_look_min_right: float = 0.5
    # multiple-choice questions: "letters" (the options scored by their letters' probabilities,
    # rag.answer.options, where the runtime gives them) or "draft" (a written answer mapped to the
    # option it names, then judged like any other)
    choice: str = "letters"
    # ... and with "letters", an option under this probability among those offered is refused
    # (chosen on the quiz's development part, docs/eval.md)
    min_option: float = 0.5
    threads: int = 0  # 0: all cores


def load_config(path: str | None = None, **flags) -> Config:
    cfg = Config()
    file = path or os.environ.get("RAG_CONFIG") or ("rag.toml" if Path("rag.toml").is_file() else None)
    if file:
        try:
            data = tomllib.loads(Path(file).read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read the configuration {file}: {e}") from None
        cfg = _apply(cfg, data, f"in {file}")
    env = {f.name: os.environ[f"RAG_{f.name.upper()}"] for f in fields(Config)
           if f"RAG_{f.name.upper()}" in os.environ}
    cfg = _apply(cfg, env, "in the environment")
    cfg = _apply(cfg, {k: v for k, v in flags.items() if v is not None}, "as a flag")
    if cfg.runtime == "openai" and not cfg.generator_url:
        raise ConfigError("runtime=\"openai\" needs generator_url, the server's API base, "
                          "e.g. generator_url = \"http://127.0.0.1:8000/v1\"")
    if cfg.embed_url and not cfg.embed_url.startswith(("http://", "https://")):
        raise ConfigError(f"embed_url={cfg.embed_url!r} is not an http(s) API base, e.g. "
                          "embed_url = \"http://gpu-box:8080/v1\"")
    if cfg.prefill not in ("auto", "bf16", "off"):
        raise ConfigError(f"prefill={cfg.prefill!r} is not auto, bf16 or off")
    if cfg.embedder_dtype not in ("auto", "int8", "float32", "bfloat16"):
        raise ConfigError(f"embedder_dtype={cfg.embedder_dtype!r} is not auto, int8, float32 or "
                          "bfloat16")
    if cfg.query_encoder not in QUERY_ENCODERS:
        raise ConfigError(f"query_encoder={cfg.query_encoder!r} is not one of "
                          f"{', '.join(QUERY_ENCODERS)}")
    if cfg.passage_sentences < 0 or cfg.whole_passages < 0:
        raise ConfigError(f"passage_sentences={cfg.passage_sentences} and whole_passages="
                          f"{cfg.whole_passages} must be 0 or more")
    if cfg.second_look not in (0, 1):
        raise ConfigError(f"second_look={cfg.second_look} is not 1 (on) or 0 (off)")
    if cfg.judge not in (0, 1, 2, 3):
        raise ConfigError(f"judge={cfg.judge} is not 0 (off), 1 (separate), 2 (follow-up) or 3 "
                          "(in the answer's prompt)")
    if cfg.decision not in ("score", "thresholds"):
        raise ConfigError(f"decision={cfg.decision!r} is not score or thresholds")
    if cfg.choice not in ("letters", "draft"):
        raise ConfigError(f"choice={cfg.choice!r} is not letters or draft")
    for key in ("min_judge", "min_confidence", "judge_below", "min_right",
                "second_look_min_right", "min_option"):
        if not 0.0 <= getattr(cfg, key) <= 1.0:
            raise ConfigError(f"{key}={getattr(cfg, key)} is not a probability from 0 to 1")
    if cfg.answer_style not in ANSWER_STYLES:
        raise ConfigError(f"answer_style={cfg.answer_style!r} is not one of "
                          f"{', '.join(ANSWER_STYLES)}")
    if cfg.prompt_cache_mb < 0:
        raise ConfigError(f"prompt_cache_mb={cfg.prompt_cache_mb} must be 0 (no cache) or more")
    if cfg.retrieval not in RETRIEVAL_MODES:
        raise ConfigError(f"retrieval={cfg.retrieval!r} is not one of {', '.join(RETRIEVAL_MODES)}")
    return cfg


def _apply(cfg: Config, values: dict, where: str) -> Config:
    types = {f.name: f.type for f in fields(Config)}
    out = {}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(f"unknown setting {key!r} {where}; known: {', '.join(types)}")
        kind = {"int": int, "float": float, "str": str}[types[key]]
        try:
            out[key] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {key}={value!r} {where} is not a valid {types[key]}") from None
    return replace(cfg, **out)
