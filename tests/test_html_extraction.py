"""Saved news pages: the extraction in use reads the story, headline, author and date off pages
full of navigation, cookie banners, related lists and comments, and does so better than the
hand-written rules it replaced (the measurement behind the choice; bench/html_extraction.py
prints it in full)."""

from corpora.html_pages import COMMENTS, COOKIE, PAGES, score
from rag.read.webpage import parse_html, parse_html_rules


def _scores(parse):
    out = []
    for p in PAGES:
        a = parse(p.html, p.name)
        out.append(score(p.story, a.text, a.title, getattr(a, "author", None), a.date))
    return out


def _mean(rows, key):
    return sum(float(r[key]) for r in rows) / len(rows)


def test_the_set_is_big_and_varied_enough():
    assert len(PAGES) >= 15 and len({p.html[:400] for p in PAGES}) == len(PAGES)


def test_pages_read_well_and_better_than_the_rules():
    used, rules = _scores(parse_html), _scores(parse_html_rules)
    assert _mean(used, "f1") >= 0.95 and _mean(used, "recall") >= 0.95
    assert _mean(used, "f1") > _mean(rules, "f1") + 0.03
    assert sum(r["title"] for r in used) >= 15 > sum(r["title"] for r in rules)
    assert sum(r["author"] for r in used) >= 15
    assert sum(r["date"] for r in used) == len(PAGES) > sum(r["date"] for r in rules)


def test_no_cookie_banner_or_comment_in_any_story():
    for p in PAGES:
        text = parse_html(p.html, p.name).text
        assert COOKIE[:40] not in text, p.name
        assert not any(c in text for c in COMMENTS), p.name


def test_paragraphs_are_kept_apart():
    p = PAGES[0]
    a = parse_html(p.html, p.name)
    for para in p.story.paragraphs:
        assert f"\n\n{para}" in a.text


def test_a_fragment_without_a_story_falls_back_to_the_rules():
    a = parse_html("<p>Just one line.</p>", "f.html")
    assert a.text == "Just one line."


def test_lists_and_tables_keep_their_lines_together():
    html = ("<html><body><main><h1>Installing the tool</h1><p>This guide explains how to install "
            "the tool on a fresh machine with a recent Python.</p><ul><li>Python 3.11 or newer"
            "</li><li>A C compiler for the native parts</li></ul><p>Then read the options.</p>"
            "<table><tr><th>Option</th><th>Meaning</th></tr><tr><td>--index</td><td>where the "
            "index lives</td></tr></table></main></body></html>")
    text = parse_html(html, "guide.html").text
    assert "- Python 3.11 or newer\n- A C compiler for the native parts\n\n" in text
    assert "| Option | Meaning |\n| --index | where the index lives |" in text
    assert "---" not in text
