"""`report.html`: one self-contained page (no scripts, no external files) with the summary table,
plots rendered with matplotlib and embedded as base64 PNG (latency distribution, refusal confusion
matrix, per-metric bars, and for an audited run the refusal trade-off), and the worst questions
with their answers, gold answers and cited passages. Left out: interactive charts and
per-article breakdowns.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

WORST = 20


def write_report(path: Path, metrics: dict, questions: list, records: list[dict]) -> None:
    parts = [f"<h1>Evaluation report</h1><p>{_config_line(metrics)}</p>",
             "<h2>Summary</h2>", _summary_table(metrics), "<h2>Plots</h2>"]
    for fig in (_metric_bars(metrics), _latency_plot(records), _confusion_plot(questions, records),
                _trade_off_plot(metrics.get("trade_off"))):
        if fig is not None:
            parts.append(f'<img alt="plot" src="data:image/png;base64,{_png(fig)}">')
    if metrics.get("trade_off"):
        from rag.evaluate.tradeoff import table

        parts.append("<h2>Refusal trade-off</h2><p>Shares of all questions, per retrieval "
                     "threshold and set of checks (replayed from this audited run).</p>"
                     f"<pre>{html.escape(table(metrics['trade_off']))}</pre>")
    if metrics.get("ablation"):
        from rag.evaluate.ablation import table as ablation_table

        parts.append("<h2>Each check turned off</h2><p>Counts of questions, replayed from this "
                     "audited run: what each refusal check withholds and what it lets through."
                     f"</p><pre>{html.escape(ablation_table(metrics['ablation']))}</pre>")
    if (metrics.get("outcomes") or {}).get("by_kind"):
        parts.append("<h2>By kind of question</h2>" + _kinds_table(metrics["outcomes"]))
    parts.append(f"<h2>Worst questions (up to {WORST})</h2>")
    parts.extend(_question_block(r) for r in worst(questions, records)[:WORST])
    path.write_text(_PAGE.format(body="\n".join(parts)), encoding="utf-8")


def _kinds_table(outcomes: dict) -> str:
    cols = ("right", "wrong", "refused", "unanswerable_refused", "unanswerable_answered")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in cols)
    rows = "".join(f"<tr><td>{html.escape(k)}</td>" + "".join(f"<td>{t[c]}</td>" for c in cols)
                   + "</tr>" for k, t in [("all", outcomes["all"]), *outcomes["by_kind"].items()])
    return f"<table><tr><th>kind</th>{head}</tr>{rows}</table>"


def worst(questions: list, records: list[dict]) -> list[dict]:
    """Failures first (errors, wrong refusals, answered unanswerables), then by lowest F1 or,
    for retrieval only, by lowest nDCG@10."""
    def badness(pair):
        q, r = pair
        m = r.get("metrics") or {}
        if r.get("error"):
            return (0, 0.0)
        if "refusal_right" in m and not m["refusal_right"]:
            return (1, 0.0)
        if "f1" in m:
            return (2, m["f1"]) if not m.get("contains") else (4, m["f1"])
        if "ndcg@10" in m:
            return (3, m["ndcg@10"]) if m["ndcg@10"] < 1 else (5, 1.0)
        return (6, 1.0)
    ranked = sorted(zip(questions, records), key=badness)
    return [r for q, r in ranked if badness((q, r))[0] < 4]


def _config_line(metrics: dict) -> str:
    c = metrics.get("config") or {}
    ix = c.get("index") or {}
    counts = "" if metrics.get("n_answerable") is None else (
        f"{metrics['n_answerable']} answerable, {metrics['n_unanswerable']} unanswerable, ")
    return html.escape(f"n = {metrics['n']} questions ({counts}{metrics.get('n_errors', 0)} "
                       f"failed); embedder {c.get('embedder')}, generator {c.get('generator')}, "
                       f"k = {c.get('k')}, chunking {c.get('chunking')}; index {ix.get('path')} "
                       f"({ix.get('articles')} articles, {ix.get('chunks')} chunks)")


def _summary_table(metrics: dict) -> str:
    rows = []
    for group in ("retrieval", "answer", "refusal", "citation", "latency_ms"):
        for name, value in (metrics.get(group) or {}).items():
            shown = "—" if value is None else (f"{value:.0f}" if group == "latency_ms"
                                                else f"{value:.3f}")
            rows.append(f"<tr><td>{group}</td><td>{html.escape(name)}</td><td>{shown}</td></tr>")
    return "<table><tr><th>group</th><th>metric</th><th>value</th></tr>" + "".join(rows) + \
        "</table>"


def _figure(w: float = 6.0, h: float = 3.2):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    return Figure(figsize=(w, h), dpi=100, layout="tight")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _metric_bars(metrics: dict):
    names, values = [], []
    for group in ("retrieval", "answer", "refusal", "citation"):
        for name, value in (metrics.get(group) or {}).items():
            if value is not None:
                names.append(f"{group[:3]}.{name}")
                values.append(value)
    if not names:
        return None
    fig = _figure(7, 0.3 * len(names) + 1)
    ax = fig.add_subplot()
    ax.barh(names[::-1], values[::-1], color="#4477aa")
    ax.set_xlim(0, 1)
    ax.set_title("Metrics")
    return fig


def _latency_plot(records: list[dict]):
    series = {key: [r["timings_ms"][key] for r in records
                    if not r.get("error") and isinstance((r.get("timings_ms") or {}).get(key),
                                                         (int, float))]
              for key in ("retrieve", "first_token", "total")}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    for key, vals in series.items():
        ax.hist(vals, bins=30, alpha=0.6, label=key)
    ax.set_xlabel("ms")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend()
    return fig


def _confusion_plot(questions: list, records: list[dict]):
    if not any(r.get("refused") is not None for r in records):
        return None
    cells = [[0, 0], [0, 0]]  # rows: answerable, unanswerable; columns: answered, refused
    for q, r in zip(questions, records):
        cells[0 if q.answerable else 1][1 if r.get("refused") else 0] += 1
    fig = _figure(4, 3.2)
    ax = fig.add_subplot()
    ax.imshow(cells, cmap="Blues")
    top = max(max(row) for row in cells) or 1
    for i in range(2):
        for j in range(2):
            ax.text(j, i, str(cells[i][j]), ha="center", va="center", fontsize=14,
                    color="white" if cells[i][j] > top / 2 else "black")
    ax.set_xticks([0, 1], ["answered", "refused"])
    ax.set_yticks([0, 1], ["answerable", "unanswerable"])
    ax.set_xlabel("the pipeline")
    ax.set_ylabel("the gold answer")
    ax.set_title("Refusals")
    return fig


def _trade_off_plot(result: dict | None):
    """Share answered wrongly against share answered, one curve per set of checks."""
    if not result:
        return None
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    for name, points in result["curves"].items():
        ax.plot([p["answered"] for p in points], [p["wrong"] for p in points], marker=".",
                label=name)
    op = result["operating_point"]
    ax.plot([op["answered"]], [op["wrong"]], "k*", markersize=14,
            label=f"chosen (min_score {op['min_score']})")
    ax.set_xlabel("share of questions answered")
    ax.set_ylabel("share answered wrongly")
    ax.set_title("Refusal trade-off")
    ax.legend(fontsize=8)
    return fig


def _question_block(r: dict) -> str:
    e = html.escape
    m = r.get("metrics") or {}
    figures = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                        for k, v in m.items())
    gold = " | ".join(r.get("answers") or []) or "(a refusal)"
    out = [f"<div class=q><h3>{e(r['id'])}: {e(r['question'])}</h3>",
           f"<p><b>gold:</b> {e(gold)}</p>"]
    if r.get("error"):
        out.append(f"<p class=err><b>error:</b> {e(r['error'])}</p>")
    if r.get("answer") is not None:
        tag = " (refused)" if r.get("refused") else ""
        out.append(f"<p><b>answer{tag}:</b> {e(r['answer'])}</p>")
    for c in r.get("citations") or []:
        out.append(f"<blockquote>[{c.get('n')}] {e(str(c.get('chunk_id')))}: "
                   f"{e(c.get('support') or c.get('text') or '')}</blockquote>")
    top = ", ".join(x["article_id"] for x in (r.get("retrieved") or [])[:5])
    out.append(f"<p class=small>top articles: {e(top)}<br>{e(figures)}</p></div>")
    return "".join(out)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}
img{{display:block;margin:1em 0;max-width:100%}}.q{{border-top:1px solid #ddd;margin-top:1em}}
blockquote{{background:#f4f4f4;margin:4px 0;padding:4px 8px}}.small{{font-size:85%;color:#555}}
.err{{color:#a00}}</style></head>
<body>
{body}
</body></html>
"""
