"""The Gradio chat: built by `build_chat(pipeline)`, not launched, so a server or a test mounts it.

Layout: the conversation (answers stream in, [n] markers link to the sources, thumbs up/down on
each answer) with the question box, Ask / Stop / New chat, unobtrusive timings and example
questions; beside it the sources panel (cited passages with the supporting sentence marked,
what was searched, the uncited passages folded away), adding articles, and the index facts.

Adding articles exists only when the server was given a way to tell writers (`writers`, a check
of the writer token typed beside the files, ui.access); otherwise the panel says it is off and
no event for it is registered, so the Gradio API has none either.

Each browser session keeps its own conversation in a `gr.State`; the model and index are the one
shared `Pipeline`. Stop sets the `threading.Event` handed to `pipeline.stream`, which stops the
generator itself, not only the display.

The waiting line is Gradio's queue. With a generator in this process: one answer at a time
(`concurrency_limit=1`) and at most `max_queue` questions waiting or answered (the API's limit,
ui.queue; the two lines are apart, and the generator serves both in arrival order). With a
remote one (`runtime = "openai"`, which batches): up to `max_queue` answers at once and as many
waiting, since Gradio counts a burst of arrivals as waiting before it hands them out. A
question shows in the chat at once, "Waiting for a turn", with Gradio's place in the line
("queue: 2/3", updated as the line moves); past the limit Gradio refuses it at once ("This
application is currently busy. Please try again.") and the chat says it was not answered.
Gradio's direct routes, which skip the queue, are closed. Left out: the answering itself (all in
`rag.pipeline`), Stop for a question still waiting (it is answered when its turn comes), and
restoring conversations after a reload.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import gradio as gr

from rag.answer.asking import validate_question
from rag.errors import RagError
from ui import feedback, render
from ui.uploads import ALLOWED, add_uploads

EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "seeds" / "questions.jsonl"

CSS = """
#sources .source { border-left: 3px solid var(--color-accent); padding: 4px 10px; margin: 8px 0; }
#sources .head { font-weight: 600; }
#sources .origin { font-size: 0.85em; opacity: 0.75; }
#sources .origin .page { font-weight: 600; }
#sources .passage { white-space: pre-wrap; font-size: 0.92em; margin-top: 4px; }
#sources mark { background: #ffe58a; color: inherit; padding: 0 1px; }
#sources .searched, #sources .note { font-size: 0.9em; opacity: 0.85; margin-bottom: 6px; }
#sources details summary { cursor: pointer; font-size: 0.9em; }
#timings { font-size: 0.8em; opacity: 0.6; min-height: 1.2em; }
#facts { font-size: 0.85em; opacity: 0.8; }
.refusal { font-style: italic; }
a.cite { text-decoration: none; font-weight: 600; }
#chat .meta-text { font-size: 0.95em; font-weight: 600; }  /* Gradio's "queue: 2/3 | 4.1s" */
"""


def load_examples(path: Path = EXAMPLES_FILE, limit: int = 8) -> list[str]:
    """Example questions from a questions.jsonl file ({"question": ...} per line); [] if none."""
    out: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            q = json.loads(line).get("question")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(q, str) and q.strip():
            out.append(q.strip())
        if len(out) >= limit:
            break
    return out


_CITE_LINK = re.compile(r'<a class="cite" href="#source-\d+">(&#91;\d+&#93;)</a>')


def _unlinked(message: dict) -> dict:
    """A message whose [n] markers are plain text (ui.render.answer_html made them links)."""
    content = message.get("content")
    if message.get("role") != "assistant" or not isinstance(content, str):
        return message
    return {**message, "content": _CITE_LINK.sub(r'<span class="cite">\1</span>', content)}


WAITING = "Waiting for a turn: your place in the line shows at the bottom of the chat."
NOT_ANSWERED = ("⚠ Not answered: the server is busy (too many questions are waiting), or the "
                "answer failed; the message in the corner says which. Your question is still in "
                "the box: ask again in a minute.")


def _asked(convo: dict | None, question: str, note: str) -> list[dict]:
    """The conversation shown with `question` asked and `note` where its answer will be."""
    convo = convo or _new_conversation()
    return [_unlinked(m) for m in convo["messages"]] + [
        {"role": "user", "content": render.esc(question)},
        {"role": "assistant", "content": f'<span class="note">{render.esc(note)}</span>'}]


def _new_conversation() -> dict:
    # messages: what the Chatbot shows; history: plain turns for rewriting follow-ups;
    # answers: Answer per assistant message index, for feedback.
    return {"messages": [], "history": [], "answers": {}}


def build_chat(pipeline, examples: list[str] | None = None,
               writers: Callable[[str | None], bool] | None = None,
               max_queue: int | None = None) -> gr.Blocks:
    """`writers(token)`: whether a token may add articles; None: adding articles is off.
    `max_queue`: questions waiting or being answered at most (default `config.max_queue`)."""
    if max_queue is None:
        max_queue = getattr(pipeline.config, "max_queue", 8)
    events = _Events(pipeline, writers)
    at_once = answers_at_once(pipeline.config, max_queue)
    with gr.Blocks(title="Ask the articles", analytics_enabled=False) as demo:
        page = _layout(pipeline, examples, writers is not None)
        _wire(page, events, at_once)
    # At most `max_queue` questions waiting or being answered, as in the API: past that the
    # browser says "This application is currently busy. Please try again." at once (the join is
    # a 503). api_open=False: Gradio's direct routes (/gradio_api/run/...) would skip the line.
    demo.queue(max_size=chat_waiting(max_queue, at_once), api_open=False,
               default_concurrency_limit=None)
    return demo


class _Events:
    """What the chat's events do. One per app, shared by every session: the running answers'
    stop events by session, and one upload at a time."""

    def __init__(self, pipeline, writers: Callable[[str | None], bool] | None):
        self.pipeline, self.writers = pipeline, writers
        self.stops: dict[str, threading.Event] = {}  # session -> the running answer's stop event
        # ids of stop events set by the button (the generator also sets its own)
        self.pressed: set[int] = set()
        self.index_lock = threading.Lock()  # one upload at a time reloads the pipeline

    def respond(self, question: str, convo: dict, request: gr.Request):
        convo = convo or _new_conversation()
        try:
            question = validate_question(question)
        except RagError as e:
            gr.Warning(str(e))
            yield convo["messages"], gr.skip(), gr.skip(), gr.skip(), convo
            return
        stop = threading.Event()
        self.stops[request.session_hash] = stop
        # The panel will show this answer's sources only: earlier answers' [n] stop being links,
        # which would lead to this answer's passages, or to none.
        messages = [_unlinked(m) for m in convo["messages"]] + [
            {"role": "user", "content": render.esc(question)},
            {"role": "assistant", "content": "…"}]
        at = len(messages) - 1
        yield messages, "", '<div class="note">Searching…</div>', "", convo
        text = ""
        try:
            for ev in self.pipeline.stream(question, None, convo["history"], stop):
                if ev["type"] == "passages":
                    sources = render.sources_html(question, ev["hits"], (), ev["search_query"])
                    yield messages, "", sources, "", convo
                elif ev["type"] == "token":
                    text += ev["text"]
                    messages[at] = {"role": "assistant", "content": render.answer_html(text)}
                    yield messages, "", gr.skip(), gr.skip(), convo
                elif ev["type"] == "second_look":
                    messages[at] = {"role": "assistant", "content": render.answer_html(text) +
                                    '<div class="note">Reading the passages again…</div>'}
                    yield messages, "", gr.skip(), gr.skip(), convo
                elif ev["type"] == "answer":
                    a = ev["answer"]
                    messages[at] = {"role": "assistant", "content": render.answer_html(
                        a.text, render.shown_as_refusal(a), stopped=id(stop) in self.pressed)}
                    convo = {"messages": messages,
                             "history": convo["history"] + [
                                 {"role": "user", "content": question},
                                 {"role": "assistant", "content": a.text}],
                             "answers": {**convo["answers"], at: a}}
                    yield (messages, "", render.answer_sources_html(a),
                           render.timings_text(a.timings_ms), convo)
        except RagError as e:
            messages[at] = {"role": "assistant", "content": render.esc(f"Error: {e}")}
            yield messages, question, gr.skip(), "", convo
        finally:
            self.stops.pop(request.session_hash, None)
            self.pressed.discard(id(stop))

    def show_question(self, question: str, convo: dict):
        """The question in the chat at once, waiting for its turn; Gradio's status shows the
        place in the line over the chat until `respond` starts."""
        try:
            question = validate_question(question)
        except RagError:
            return gr.skip()  # respond says what is wrong
        return _asked(convo, question, WAITING)

    def not_answered(self, question: str, convo: dict):
        """After a question the line had no room for (or an answer that failed): said in the
        chat too, beside Gradio's own message; the question stays in the box to ask again."""
        try:
            question = validate_question(question)
        except RagError:
            return gr.skip()
        return _asked(convo, question, NOT_ANSWERED)

    def stop_answer(self, request: gr.Request):
        ev = self.stops.get(request.session_hash)
        if ev is not None:
            self.pressed.add(id(ev))
            ev.set()

    def rate(self, convo: dict, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer = (convo or {}).get("answers", {}).get(idx)
        if data.liked not in (True, False):
            return
        if answer is None:  # said, not dropped silently: a rating given while it streams in
            gr.Warning("That answer is not finished (or not an answer): rate it once it is; "
                       "nothing was saved")
            return
        feedback.record(self.pipeline.index.path, answer, bool(data.liked))
        gr.Info("Thanks: feedback saved")

    def add_files(self, files, token, progress=gr.Progress()):
        pairs = [(f, Path(f).name) for f in (files or [])]
        if self.writers is None or not self.writers(token if isinstance(token, str) else None):
            for tmp, _ in pairs:  # nothing of a refused upload stays on the disk
                Path(tmp).unlink(missing_ok=True)
            return ("⚠ Wrong or missing writer token: nothing was added.", gr.skip(), None)
        if not pairs:
            return "Choose one or more files first.", gr.skip(), None

        def bar(done: int, total: int) -> None:
            progress(done / total if total else 1.0, desc=f"embedding {done}/{total} passages")

        def pages(source: str, done: int, total: int) -> None:
            name = Path(source).name.removeprefix("upload-")
            progress(done / total, desc=f"reading {name}: page {done} of {total}")

        with self.index_lock:
            progress(0.0, desc="reading files")
            result = add_uploads(pairs, self.pipeline.index.path, self.pipeline.embedder, bar,
                                 pages)
            if result.report is not None:
                self.pipeline.reload()
        summary = result.report.summary() if result.report else None
        return (render.report_markdown(result.saved, result.errors, summary),
                render.facts_markdown(self.pipeline.facts()), None)


def _layout(pipeline, examples: list[str] | None, writes: bool) -> SimpleNamespace:
    """The page: the conversation beside the sources, adding articles and the index facts. Its
    components, by name (those for adding articles are None when `writes` is off)."""
    page = SimpleNamespace(convo=gr.State(_new_conversation()), files=None, token=None,
                           add_btn=None, upload_status=None)
    gr.Markdown("### Ask the articles")
    with gr.Row():
        with gr.Column(scale=3):
            _conversation(page, examples)
        with gr.Column(scale=2):
            gr.Markdown("**Sources**")
            page.sources = gr.HTML(elem_id="sources", js_on_load=None)
            with gr.Accordion("Add articles", open=False, elem_id="add-articles"):
                if not writes:
                    gr.Markdown("Adding articles is off on this server: its operator can "
                                "turn it on with a writer token.", elem_id="upload-off")
                else:
                    page.files = gr.File(file_count="multiple", file_types=list(ALLOWED),
                                         elem_id="upload", label=f"{', '.join(ALLOWED)} files")
                    page.token = gr.Textbox(type="password", label="Writer token",
                                            elem_id="writer-token", max_lines=1)
                    page.add_btn = gr.Button("Add to the index", elem_id="add")
                    page.upload_status = gr.Markdown(elem_id="upload-status")
            page.facts = gr.Markdown(render.facts_markdown(pipeline.facts()), elem_id="facts")
    return page


def _conversation(page: SimpleNamespace, examples: list[str] | None) -> None:
    """The conversation, the question box with its buttons, the timings and the examples."""
    page.chat = gr.Chatbot(elem_id="chat", height=460, show_label=False,
                           sanitize_html=True, allow_tags=False, render_markdown=True,
                           group_consecutive_messages=False,
                           feedback_options=("Like", "Dislike"),
                           buttons=["copy", "copy_all"],  # no "share": it calls out
                           placeholder="Answers come only from the indexed articles, "
                                       "with [n] citations.")
    with gr.Row():
        page.box = gr.Textbox(elem_id="question", show_label=False, scale=6, lines=1,
                              max_lines=4, placeholder="Ask a question about the articles",
                              autofocus=True)
        page.ask_btn = gr.Button("Ask", variant="primary", elem_id="ask", scale=0,
                                 min_width=80)
        page.stop_btn = gr.Button("Stop", variant="stop", elem_id="stop", scale=0,
                                  min_width=80)
        page.new_btn = gr.Button("New chat", elem_id="new-chat", scale=0, min_width=100)
    page.timings = gr.Markdown(elem_id="timings")
    exs = examples if examples is not None else load_examples()
    if exs:
        gr.Examples([[q] for q in exs], inputs=[page.box], label="Example questions")


def _wire(page: SimpleNamespace, events: _Events, at_once: int = 1) -> None:
    """What each control does."""
    outs = [page.chat, page.box, page.sources, page.timings, page.convo]
    # `at_once` answers at a time (1 with a local generator, which answers one anyway): a
    # question that arrives while they are answered waits in Gradio's queue, which tells the
    # page its place and Gradio shows it on the chat ("queue: 2/3 | 4.1s"), rather than in a
    # thread that says nothing.
    # The question itself is shown first, without the queue; a question the queue refuses
    # (full) ends in `.failure`.
    for trigger in (page.ask_btn.click, page.box.submit):
        trigger(events.show_question, [page.box, page.convo], [page.chat], queue=False,
                api_visibility="private", show_progress="hidden").then(
            events.respond, [page.box, page.convo], outs, concurrency_limit=at_once,
            concurrency_id="answer", show_progress="full", show_progress_on=[page.chat]).failure(
            events.not_answered, [page.box, page.convo], [page.chat], queue=False,
            api_visibility="private", show_progress="hidden")
    page.stop_btn.click(events.stop_answer, None, None, queue=False)
    page.new_btn.click(lambda: ([], "", "", "", _new_conversation()), None, outs, queue=False)
    # the chat's own trash icon
    page.chat.clear(_new_conversation, None, [page.convo], queue=False)
    page.chat.like(events.rate, [page.convo], None, queue=False)
    if page.add_btn is not None:
        page.add_btn.click(events.add_files, [page.files, page.token],
                           [page.upload_status, page.facts, page.files], concurrency_limit=1)


def answers_at_once(config, max_queue: int) -> int:
    """How many chat answers run at the same time: one with a generator in this process (it
    answers one at a time, in arrival order); `max_queue` with a remote server (`runtime =
    "openai"`: vLLM and its kind batch concurrent requests, so a stateless replica should not
    hold them to one)."""
    return max(1, max_queue) if getattr(config, "runtime", "") == "openai" else 1


def chat_waiting(max_queue: int, at_once: int = 1) -> int:
    """Gradio's max_size counts the questions waiting, not those being answered. With several
    answered at once it is `max_queue`: a burst of arrivals all count as waiting until Gradio
    hands them out, so a smaller line would turn away questions that free places could take."""
    return max(1, max_queue - 1) if at_once == 1 else max(1, max_queue)
