"""Questions embedded by the int8 ONNX export (rag.index.query_encoder): close to the adapter's own
vectors and ranking the same passages first (real model, slow), an export that fails leaves
nothing behind, and the choice of encoder by configuration (fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag import registry

from rag.config import load_config
from rag.errors import ConfigError
from rag.index import query_encoder
from tests.conftest import SEEDS


def test_fakes_and_torch_keep_the_embedder_itself():
    fake = registry.embedder("fake-hash")
    assert registry.query_encoder(fake, "onnx-int8") is fake
    assert registry.query_encoder(fake, "torch") is fake


def test_only_bert_with_mean_pooling_is_exported():
    """Other sentence-transformers models keep their adapter for questions instead of failing."""
    from types import SimpleNamespace as NS

    def st(model_type, pooling):
        return NS(model=[NS(auto_model=NS(config=NS(model_type=model_type))),
                         NS(pooling_mode=pooling)])

    assert query_encoder.exportable(st("bert", "mean"))
    assert not query_encoder.exportable(st("xlm-roberta", "mean"))
    assert not query_encoder.exportable(st("bert", "cls"))
    assert not query_encoder.exportable(NS(model=[NS()]))


def test_unknown_encoder_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("RAG_QUERY_ENCODER", "tensorrt")
    with pytest.raises(ConfigError, match="query_encoder='tensorrt' is not one of onnx-int8, torch"):
        load_config()


def test_a_failed_export_leaves_nothing_to_load(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path))

    class Base:
        name = "some/model"

        def info(self):
            return {"weights_sha256": "ab" * 32}

    def broken(base, path):
        path.write_bytes(b"half a model")
        raise RuntimeError("disk full")

    monkeypatch.setattr(query_encoder, "_export_fp32", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        query_encoder.export_int8(Base())
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []  # neither the target nor the half-written temporary file


@pytest.mark.slow
def test_the_default_index_is_embedded_as_set_up_chose(real_pipeline):
    """"auto" picks the precision set-up measured fastest on this machine (rag.models.choices:
    the int8 export on an AMD EPYC, bf16 on an Intel Xeon with AMX), the int8 export where
    nothing was measured: the manifest says so. Questions go through the int8 export either way,
    the same one as the documents where they are int8 too."""
    from rag.models import choices

    emb = real_pipeline.embedder
    chosen = choices.embedder_dtype(emb.name) or "int8"
    assert emb.info()["dtype"] == chosen
    assert real_pipeline.index.embedder_info["dtype"] == chosen
    if chosen == "int8":
        assert type(emb).__name__ == "OnnxEmbedder" and real_pipeline.query_encoder is emb
    else:
        assert type(real_pipeline.query_encoder).__name__ == "OnnxQueryEncoder"
        emb = registry.embedder(emb.name, "int8")
    # The fused graph: onnxruntime's attention and embedding kernels, in their int8 form.
    import onnx

    ops = {n.op_type for n in onnx.load(str(emb.path)).graph.node}
    assert {"QAttention", "QEmbedLayerNormalization", "SkipLayerNormalization"} <= ops, ops


@pytest.mark.slow
def test_int8_questions_match_the_adapter(real_pipeline):
    base = registry.embedder(real_pipeline.embedder.name, "float32")
    onnx = registry.query_encoder(base, "onnx-int8")
    assert query_encoder.exportable(base)
    assert type(onnx).__name__ == "OnnxQueryEncoder" and onnx.info()["query_encoder"] == "onnx-int8"
    assert onnx.path.is_file() and onnx.info()["weights_sha256"] == base.info()["weights_sha256"]
    questions = [json.loads(x)["question"] for x in (SEEDS / "questions.jsonl").read_text().splitlines()]
    a, b = onnx.embed(questions), base.embed(questions)
    cos = np.sum(a * b, axis=1)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert cos.min() > 0.97, cos.min()  # measured: 0.990
    # The same passage comes first for every question, whichever encoder embedded it.
    for q, va, vb in zip(questions, a, b):
        top_a = real_pipeline.index.search(va, 1)[0][0].id
        top_b = real_pipeline.index.search(vb, 1)[0][0].id
        assert top_a == top_b, q
    # One at a time (as the pipeline asks) is as close. Not bit-equal to the batched vector:
    # dynamic int8 quantisation scales activations over the whole batch.
    single = np.stack([onnx.embed([q])[0] for q in questions])
    assert np.sum(single * b, axis=1).min() > 0.97
