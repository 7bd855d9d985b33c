"""all-MiniLM-L6-v2 as a dynamically quantised int8 ONNX model, for the speed benchmark.

Exported offline from the packaged weights with `torch.onnx.export`, quantised with
onnxruntime's `quantize_dynamic` (int8 weights, per channel), run by onnxruntime with the same
tokenizer, mean pooling and normalisation as sentence-transformers. It lives in bench/ because it
is measured, not shipped: optimum's exporter (optimum-onnx 0.1.0) needs transformers < 4.58, and
the adapter would only be worth adding if it beat bf16 (see the README's speed table).
Needs `pip install onnxruntime==1.32.0 onnx onnxscript`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class OnnxInt8Embedder:
    def __init__(self, st_model, folder: Path, threads: int | None = None):
        import onnxruntime as ort
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic

        folder.mkdir(parents=True, exist_ok=True)
        fp32, int8 = folder / "model.onnx", folder / "model_int8.onnx"
        self.tokenizer = st_model.tokenizer
        self.max_tokens = int(st_model.max_seq_length)
        if not int8.is_file():
            bert = st_model[0].auto_model.eval()
            for p in bert.parameters():
                p.requires_grad_(False)

            class Wrapped(torch.nn.Module):  # positional inputs, by name to the model
                def forward(self, input_ids, attention_mask, token_type_ids):
                    return bert(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

            enc = self.tokenizer(["an example sentence"], return_tensors="pt")
            with torch.inference_mode():
                torch.onnx.export(
                    Wrapped(), (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]),
                    str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                    dynamic_axes={n: {0: "batch", 1: "seq"} for n in
                                  ("input_ids", "attention_mask", "token_type_ids",
                                   "last_hidden_state")})
            _constants_to_initializers(fp32)
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        self.session = ort.InferenceSession(str(int8), opts, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])  # similar lengths together, as ST does
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_tokens, return_tensors="np")
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask",
                                                          "token_type_ids")}
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


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
