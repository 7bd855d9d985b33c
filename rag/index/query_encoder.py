"""The int8 ONNX export of a sentence-transformers embedder, for questions and for documents.

A question is one short text, and for one short text PyTorch's per-call overhead, not arithmetic,
is most of the time: the int8 export skips that overhead, which is most of what a question's
retrieval costs (docs/scale.md has the figures). For documents the export is the fastest of the
precisions measured on SciFact (bench/speed.py: fp32, bf16, int8) with the same ranking, so an
index can be embedded by it too (`embedder_dtype = "int8"`, what "auto" picks for the models it
reproduces); questions then go through the same export.

The export: `torch.onnx.export` of the packaged fp32 weights with eager attention, so that
onnxruntime's BERT optimiser recognises and fuses each layer's attention, its embedding with its
layer norm and its bias with GELU (fused kernels, no per-op overhead), then onnxruntime's
`quantize_dynamic` (int8 weights per channel; the fused attention becomes its int8 form). It is
written once per machine into the model cache, under the weights' sha256, atomically: an
interrupted export leaves nothing that a later run would load. `rag models prepare` does it at
set-up; otherwise the first use does, once.

Left out: exporting models other than BERT-style sentence-transformers with mean pooling; for
those `exportable` is false and they run through the adapter (bf16 or fp32).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from rag.errors import ModelMissing

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def exportable(base) -> bool:
    """Whether `base` (a SentenceTransformerEmbedder) is what this export reproduces: a BERT-style
    encoder (the three inputs) with mean pooling."""
    modules = list(base.model)
    if len(modules) < 2:
        return False
    config = getattr(getattr(modules[0], "auto_model", None), "config", None)
    pooling = getattr(modules[1], "pooling_mode", None) or \
        ("mean" if getattr(modules[1], "pooling_mode_mean_tokens", False) else None)
    return getattr(config, "model_type", None) == "bert" and pooling == "mean"


class OnnxQueryEncoder:
    """Embeds texts like `base` (a SentenceTransformerEmbedder) does, through the int8 export."""

    def __init__(self, base, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ModelMissing("query_encoder = \"onnx-int8\" needs onnxruntime: run "
                               "./scripts/setup, or set query_encoder = \"torch\"") from e
        ort.disable_telemetry_events()  # nothing phones home (rag/__init__.py sets the variable too)
        self.base = base
        self.name, self.dim, self.max_tokens = base.name, base.dim, base.max_tokens
        self.path = export_int8(base)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        # Idle threads sleep rather than spin: a spinning pool takes the CPU from the search
        # that follows each question on a small machine.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(self.path), opts,
                                            providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self.session.get_inputs()]

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # little padding per batch
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.base.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                      max_length=self.max_tokens, return_tensors="np")
            feed = {k: enc[k].astype(np.int64) for k in self._inputs}
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            out[idx] = pooled / np.maximum(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def count_tokens(self, text: str) -> int:
        return self.base.count_tokens(text)

    def info(self) -> dict:
        return dict(self.base.info(), query_encoder="onnx-int8")


class OnnxEmbedder(OnnxQueryEncoder):
    """The export as an index's embedder: the manifest records dtype "int8", so the index is
    opened with it again and its questions are embedded by it too."""

    def info(self) -> dict:
        return dict(self.base.info(), dtype="int8")


def export_int8(base) -> Path:
    """The int8 ONNX file for `base`'s weights in the model cache, exported on first call."""
    from rag.models.weights import cache_dir

    digest = (base.info().get("weights_sha256") or "")[:16]
    if not digest:
        raise ModelMissing(f"cannot export {base.name!r} to ONNX: its weights have no hash "
                           "(not a local folder); set query_encoder = \"torch\"")
    # "fused": the recipe below; a file from an earlier, unfused recipe is not reused.
    target = (cache_dir() / "onnx" / f"{base.name.replace('/', '_')}-{digest}"
              / "model_int8_fused.onnx")
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, fused = Path(tmp) / "model.onnx", Path(tmp) / "model_fused.onnx"
        int8 = Path(tmp) / "model_int8.onnx"
        root = logging.getLogger()
        level = root.level
        try:
            # The exporter's and quantiser's advice is for model authors, not for this user.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                root.setLevel(logging.ERROR)
                heads, hidden = _export_fp32(base, fp32)
                import onnx
                from onnxruntime.quantization import QuantType, quantize_dynamic
                from onnxruntime.transformers.optimizer import optimize_model

                optimize_model(str(fp32), model_type="bert", num_heads=heads,
                               hidden_size=hidden).save_model_to_file(str(fused))
                # The fused ops are outside ONNX's type inference: their outputs are float.
                quantize_dynamic(str(fused), str(int8), weight_type=QuantType.QInt8,
                                 per_channel=True,
                                 extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        except ImportError as e:
            raise ModelMissing(f"exporting the query encoder needs onnx and onnxscript ({e}): "
                               "run ./scripts/setup, or set query_encoder = \"torch\"") from e
        finally:
            root.setLevel(level)
        os.replace(int8, target)  # same folder, so atomic: a torn export is never found
    return target


def _export_fp32(base, path: Path) -> tuple[int, int]:
    """Writes the fp32 ONNX graph; returns the model's attention heads and hidden size."""
    import torch
    from transformers import AutoModel

    # From the fp32 weights whatever precision the adapter runs in (a bf16 adapter's weights are
    # the originals rounded; int8 quantisation starts best from the originals), with eager
    # attention: the graph of PyTorch's fused attention is not one onnxruntime's optimiser knows.
    bert = AutoModel.from_pretrained(base.path, local_files_only=True,
                                     attn_implementation="eager").float().eval()
    for p in bert.parameters():
        p.requires_grad_(False)  # the exporter refuses weights that require a gradient

    class Wrapped(torch.nn.Module):  # positional inputs, passed to the model by name
        def forward(self, input_ids, attention_mask, token_type_ids):
            return bert(input_ids=input_ids, attention_mask=attention_mask,
                        token_type_ids=token_type_ids).last_hidden_state

    # Traced with a padded batch: transformers skips the attention mask when it is all ones, and
    # the trace keeps whichever branch the example took, so an unpadded example would export a
    # model that attends to padding.
    enc = base.tokenizer(["an example", "a longer example sentence, padded to its length"],
                         padding=True, return_tensors="pt")
    with torch.inference_mode():
        torch.onnx.export(Wrapped(), tuple(enc[k] for k in INPUTS), str(path),
                          input_names=list(INPUTS), output_names=["last_hidden_state"],
                          opset_version=17, dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "seq"}
                                        for n in (*INPUTS, "last_hidden_state")})
    _constants_to_initializers(path)
    return bert.config.num_attention_heads, bert.config.hidden_size


def _constants_to_initializers(path: Path) -> None:
    """The exporter writes the weights as Constant nodes; the quantiser only quantises
    initializers, so move large constant tensors there."""
    import onnx

    model = onnx.load(str(path))
    keep = []
    for node in model.graph.node:
        tensor = next((a.t for a in node.attribute if a.name == "value" and a.type == a.TENSOR),
                      None) if node.op_type == "Constant" else None
        if tensor is not None and np.prod(tensor.dims) >= 1024:
            tensor.name = node.output[0]
            model.graph.initializer.append(tensor)
        else:
            keep.append(node)
    del model.graph.node[:]
    model.graph.node.extend(keep)
    onnx.save(model, str(path))
