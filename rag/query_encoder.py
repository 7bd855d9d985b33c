"""Questions embedded by onnxruntime from an int8 export of the index's own embedder.

A question is one short text, and for one short text PyTorch's per-call overhead, not arithmetic,
is most of the time: MiniLM takes about 8 ms a question through `SentenceTransformer.encode`
here, the int8 export about 3 ms, which is what brings retrieval under 5 ms (README). Documents
are still embedded by the sentence-transformers adapter (in bf16 or fp32), so the index does not
change; on SciFact, int8 question vectors against the bf16 index give nDCG@10 0.7221, against
0.7234 with the adapter's own (bench/speed.py prints both).

The export (`torch.onnx.export` of the packaged weights, then onnxruntime's `quantize_dynamic`,
int8 weights per channel) is written once per machine into the model cache, under the weights'
sha256, atomically: an interrupted export leaves nothing that a later run would load.
`rag models prepare` does it at set-up; otherwise the first question does (a few seconds).

Left out: exporting models other than BERT-style sentence-transformers with mean pooling; for
those `exportable` is false and questions go through the adapter, as with `query_encoder = "torch"`.
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
    """Embeds questions like `base` (a SentenceTransformerEmbedder) does, through an int8 export."""

    def __init__(self, base, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ModelMissing("query_encoder = \"onnx-int8\" needs onnxruntime: run "
                               "./scripts/setup, or set query_encoder = \"torch\"") from e
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

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # little padding per batch
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.base.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                      max_length=self.max_tokens, return_tensors="np")
            feed = {k: enc[k].astype(np.int64) for k in INPUTS}
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


def export_int8(base) -> Path:
    """The int8 ONNX file for `base`'s weights in the model cache, exported on first call."""
    from rag.models import cache_dir

    digest = (base.info().get("weights_sha256") or "")[:16]
    if not digest:
        raise ModelMissing(f"cannot export {base.name!r} to ONNX: its weights have no hash "
                           "(not a local folder); set query_encoder = \"torch\"")
    target = cache_dir() / "onnx" / f"{base.name.replace('/', '_')}-{digest}" / "model_int8.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model_int8.onnx"
        root = logging.getLogger()
        level = root.level
        try:
            # The exporter's and quantiser's advice is for model authors, not for this user.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                root.setLevel(logging.ERROR)
                _export_fp32(base, fp32)
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8,
                                 per_channel=True)
        except ImportError as e:
            raise ModelMissing(f"exporting the query encoder needs onnx and onnxscript ({e}): "
                               "run ./scripts/setup, or set query_encoder = \"torch\"") from e
        finally:
            root.setLevel(level)
        os.replace(int8, target)  # same folder, so atomic: a torn export is never found
    return target


def _export_fp32(base, path: Path) -> None:
    import torch

    # Exported from the fp32 weights whatever precision the adapter runs in: a bf16 adapter's
    # weights are the originals rounded, and int8 quantisation starts best from the originals.
    if base.dtype == "float32":
        bert = base.model[0].auto_model.eval()
    else:
        from transformers import AutoModel

        bert = AutoModel.from_pretrained(base.path, local_files_only=True).float().eval()
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
