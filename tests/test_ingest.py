"""Reading articles: formats, metadata, stable ids, and bad input reported without stopping."""

from pathlib import Path

from rag.read.ingest import parse_html, parse_text, read_sources

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_d2bc7125750b2eac.txt"


def test_seed_date_marker_is_metadata_not_text():
    arts, skipped = read_sources([SEED.parent])
    # The question sets beside the article are recognised and left out, not read as articles.
    assert sorted((Path(s.source).name, s.reason.split(":")[0]) for s in skipped) == [
        (name, 'a question set (lines have "question", not "text")')
        for name in ("news-dev-open.jsonl", "news-dev-swaps.jsonl", "questions.jsonl",
                     "shipped-blind.jsonl", "shipped-chat.jsonl", "shipped-fresh.jsonl", "shipped-more.jsonl",
                     "shipped-or.jsonl", "shipped-probe.jsonl", "shipped-swaps.jsonl", "shipped-tf.jsonl", "shipped-unseen.jsonl",
                     "shipped-whole.jsonl")]
    (a,) = [a for a in arts if a.id == SEED.name]
    assert a.date == "2024-06-20"
    assert "date 2024" not in a.text
    assert a.text.startswith("In a significant development")
    assert a.title.startswith("In a significant development for the artificial intelligence")


def test_front_matter_and_markdown_heading(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: Front title\ndate: 2023-01-02\nurl: https://x.test/a\n"
                                   "---\n# Heading\n\nBody text here.\n")
    (tmp_path / "b.md").write_text("# The heading wins\n\nSome text. More text.\n")
    (tmp_path / "c.txt").write_text("title: Plain\ndate: 2022-05-06\n\nA body. Second sentence.\n")
    arts = {a.id: a for a in read_sources([tmp_path])[0]}
    assert (arts["a.md"].title, arts["a.md"].date, arts["a.md"].url) == \
        ("Front title", "2023-01-02", "https://x.test/a")
    assert "title:" not in arts["a.md"].text and arts["a.md"].text.startswith("# Heading")
    assert arts["b.md"].title == "The heading wins"
    assert (arts["c.txt"].title, arts["c.txt"].date) == ("Plain", "2022-05-06")
    assert arts["c.txt"].text == "A body. Second sentence."


def test_title_falls_back_to_first_sentence():
    a = parse_text("No metadata at all. Then more.", "x.txt")
    assert a.title == "No metadata at all."


def test_html_main_text_only():
    html = """<html><head><title>Page title</title><meta name="date" content="2021-03-04T10:00">
    <style>p {color: red}</style><script>var secret = "SCRIPT";</script></head>
    <body><nav>Home | About NAVTEXT</nav><header>HEADERTEXT</header>
    <article><h1>Big news</h1><p>First paragraph of the story.</p><p>Second one.</p></article>
    <footer>FOOTERTEXT</footer></body></html>"""
    a = parse_html(html, "p.html")
    # The headline, not the <title> (which on news sites carries the site's name too).
    assert a.title == "Big news" and a.date == "2021-03-04"
    assert "First paragraph of the story." in a.text and "Second one." in a.text
    for junk in ("SCRIPT", "NAVTEXT", "HEADERTEXT", "FOOTERTEXT", "color"):
        assert junk not in a.text


def test_ids_are_relative_paths_and_stable(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("Hello there. General text.")
    first = [a.id for a in read_sources([tmp_path])[0]]
    second = [a.id for a in read_sources([str(tmp_path) + "/"])[0]]
    assert first == second == ["sub/x.txt"]


def test_bad_files_are_reported_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text("A good article. It has text.")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.md").write_text("title: Only metadata\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "big.txt").write_text("x" * 2000)
    arts, skipped = read_sources([tmp_path], max_bytes=1000)
    assert [a.id for a in arts] == ["good.txt"]
    reasons = {Path(s.source).name: s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "no text" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "offset 3" in reasons["latin1.txt"]
    assert "unsupported type .png" in reasons["image.png"]
    assert "too large" in reasons["big.txt"]


def test_jsonl_articles_and_bad_lines(tmp_path):
    f = tmp_path / "arts.jsonl"
    f.write_text('{"id": "a1", "title": "T1", "text": "Alpha text.", "date": "2020-01-01", "url": "u"}\n'
                 'not json\n'
                 '{"id": "", "text": "no id"}\n'
                 '{"id": "a2", "text": "Beta text. More."}\n')
    arts, skipped = read_sources([f])
    assert [(a.id, a.title, a.date) for a in arts] == [("a1", "T1", "2020-01-01"),
                                                       ("a2", "Beta text.", None)]
    assert sorted(s.source.rsplit(":", 1)[1] for s in skipped) == ["2", "3"]
    assert any("not JSON" in s.reason for s in skipped)


def test_duplicate_ids_and_missing_paths(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"id": "same", "text": "One."}\n{"id": "same", "text": "Two."}\n')
    arts, skipped = read_sources([f, tmp_path / "nope"])
    assert [a.text for a in arts] == ["One."]
    assert any("already came from" in s.reason for s in skipped)
    assert any(s.reason == "no such file or folder" for s in skipped)


def test_html_in_its_declared_encoding(tmp_path):
    page = ('<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body>'
            '<article><h1>Caf\xe9 news</h1><p>The caf\xe9 on the corner re-opened on Monday '
            'with a new menu and longer opening hours for the summer.</p></article></body></html>')
    (tmp_path / "old.html").write_bytes(page.encode("cp1252"))
    (tmp_path / "bad.txt").write_bytes("caf\xe9".encode("cp1252"))
    arts, skipped = read_sources([tmp_path])
    assert [a.id for a in arts] == ["old.html"] and "café on the corner" in arts[0].text
    assert [Path(s.source).name for s in skipped] == ["bad.txt"]  # text files stay UTF-8 only
