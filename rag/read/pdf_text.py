"""From a PDF's lines to an article's text: headers, footers and page numbers out, hyphenated line
breaks joined, lines joined into paragraphs, and where each page and each heading starts.

Input is what rag.read.pdf reads off each page: `Line`s in the order the page draws them, each with
its position and font size. What is done with them:
- columns that a page draws row by row (a line of each in turn) are read column by column;
- a line among the first or last few of a page (by order or by height) is a header or footer when
  it is there on at least half the pages (and two), the same or with a number that counts up
  with the page ("Page 3 of 9", "Page 4 of 9"); a bare page number there ("7", "- 7 -",
  "Page 7", "vii") always goes, and so does what a browser prints in the margins of a saved
  page in small type (its title, its address, the time of printing);
- two lines belong to one paragraph unless the gap between them is clearly wider than the page's
  usual line spacing, the font size changes (a heading), the next line starts a list item, or the
  line is short and ends a sentence; a paragraph that runs on over a page break is kept whole;
- "infor-" + "mation" becomes "information", unless the document itself writes the word with
  that hyphen elsewhere ("well-known"); a soft hyphen at a line end always joins.
- pieces of one row far apart (a table's cells) are joined by " | ", each row on its own line;
- a paragraph set larger than the body text (the size most characters are in) is a heading; a
  large initial letter (a drop capital) is joined to the rest of its word.
The text's paragraphs are separated by blank lines, list items and headings' lines by one break.

Left out: columns that a page draws as one line (pypdf hands over such a line whole, so the
columns' words come out interleaved), other drawing orders that are not reading order, tables as
tables, and images (a page with none of its text in the PDF is empty).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median


@dataclass
class Line:
    text: str
    x: float
    y: float  # from the page's bottom, as PDF measures it
    size: float  # the largest font size on the line


EDGE_LINES = 3  # lines at each end of a page looked at as a possible header or footer
_ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|seite|pág\.?|página)\s*)?[-–—(\[]?\s*(?:\d{1,4}|" + _ROMAN + r")\s*"
    r"[-–—)\]]?(?:\s*(?:of|/|von|de)\s*\d{1,4})?$", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[•◦▪▫●○■□‣⁃∙·\-–—*]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s)")
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_HYPHEN_END = re.compile(r"(\w+)-$")
_WORD_START = re.compile(r"^([a-zà-ÿ]\w*)")
_DROP_CAP = re.compile(r"^[A-ZÀ-Þ]$")
_CAPITAL_START = re.compile(r"^[A-ZÀ-Þ]")  # "Anglo-" + "Saxon": the hyphen stays, no space


def page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def _key(line: Line) -> str:
    # The size too: a running header that repeats the title is small, the title on page 1 is not.
    text = re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.text.strip().lower()))
    return f"{round(line.size)}:{text}"


def _edges(lines: list[Line]) -> set[int]:
    """Indexes of the lines that could be a header or footer: first and last by order and by
    height (a footer drawn first is still at the bottom)."""
    n = len(lines)
    by_y = sorted(range(n), key=lambda i: lines[i].y)
    picked = list(range(min(EDGE_LINES, n))) + list(range(max(0, n - EDGE_LINES), n))
    picked += by_y[:EDGE_LINES] + by_y[-EDGE_LINES:]
    return set(picked)


def body_size(pages: list[list[Line]]) -> float:
    """The font size most of the text is set in."""
    chars: Counter[float] = Counter()
    for lines in pages:
        for ln in lines:
            chars[round(ln.size, 1)] += len(ln.text)
    return chars.most_common(1)[0][0] if chars else 0.0


_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_STAMP = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?$",
                    re.IGNORECASE)


def _printed_margin(line: Line, body: float, title: str | None) -> bool:
    """What a browser prints in the margins of a saved page, in small type: the page's title, its
    address, the date and time of printing. Told apart on a single page too."""
    if not body or line.size > body * 0.9:
        return False
    text = re.sub(r"\s+", " ", line.text).strip()
    if _URL.match(text) or _STAMP.match(text):
        return True
    t = re.sub(r"\s+", " ", title or "").strip().lower()
    return len(t) >= 8 and t in text.lower() and len(text) <= len(t) + 40


def strip_furniture(pages: list[list[Line]], title: str | None = None) -> list[list[Line]]:
    """The pages without running headers, footers and page numbers."""
    body = body_size(pages)
    seen: dict[str, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
    for n, lines in enumerate(pages):
        for key, nums in {_key(lines[i]): _numbers(lines[i].text) for i in _edges(lines)
                          if lines[i].text.strip()}.items():
            seen[key].append((n, nums))
    need = max(2, (len(pages) + 1) // 2)
    repeated = {k for k, where in seen.items() if len(where) >= need and _running(where, need)}
    out = []
    for lines in pages:
        edges = _edges(lines)
        out.append([ln for i, ln in enumerate(lines) if ln.text.strip() and not (
            i in edges and (_key(ln) in repeated or page_number(ln.text)
                            or _printed_margin(ln, body, title)))])
    return out


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(d) for d in re.findall(r"\d+", text)[:6])


def _running(where: list[tuple[int, tuple[int, ...]]], need: int) -> bool:
    """Is a line seen on these pages furniture: the same on each, or the same but for a number
    that counts up with the page ("Page 3 of 9")? Body lines that merely share a pattern
    ("Ship 12 arrived", "Ship 40 arrived") are neither."""
    if Counter(nums for _, nums in where).most_common(1)[0][1] >= need:
        return True
    width = min(len(nums) for _, nums in where)
    return any(Counter(nums[j] - n for n, nums in where).most_common(1)[0][1] >= need
               for j in range(width))


def reading_order(lines: list[Line]) -> list[Line]:
    """A page whose columns are drawn row by row (left line, right line, left line...) put back
    column by column; any other page as it is drawn. Columns are told from a table's cells by
    their lines being prose-long, and only a drawing order that keeps jumping between them is
    changed, so pages drawn column by column (most) are left alone."""
    rows: dict[int, int] = Counter(round(ln.y) for ln in lines)
    shared = [ln for ln in lines if rows[round(ln.y)] > 1]
    if len(lines) < 6 or len(shared) < 0.3 * len(lines) \
            or sum(len(ln.text) for ln in shared) < 25 * len(shared):
        return lines
    starts: list[float] = []  # where each column's lines start, left to right
    for x in sorted(ln.x for ln in shared):
        if not starts or x > starts[-1] + 40:
            starts.append(x)
    if not 2 <= len(starts) <= 4:
        return lines

    def column(ln: Line) -> int:
        return max([i for i, x in enumerate(starts) if x <= ln.x + 5] or [0])

    # Columns are left-aligned: pieces of one line (a bold word drawn apart) start anywhere.
    if sum(abs(ln.x - starts[column(ln)]) <= 5 for ln in shared) < 0.8 * len(shared):
        return lines
    top, bottom = max(ln.y for ln in shared), min(ln.y for ln in shared)
    inside = [ln for ln in lines if bottom - 1 <= ln.y <= top + 1]
    jumps = sum(column(a) != column(b) for a, b in zip(inside, inside[1:]))
    if jumps <= len(starts):
        return lines
    by_column = sorted(inside, key=lambda ln: (column(ln), -ln.y))
    return ([ln for ln in lines if ln.y > top + 1] + by_column
            + [ln for ln in lines if ln.y < bottom - 1])


def _spacing(lines: list[Line]) -> float:
    """The page's usual distance between two lines of a paragraph, in ems of their font size, so
    that it holds for a heading's lines too (0 when positions are unknown)."""
    gaps = [(a.y - b.y) / max(a.size, 1) for a, b in zip(lines, lines[1:])
            if abs(a.size - b.size) < 0.5 and 0 < a.y - b.y < 4 * max(a.size, 1)]
    return median(gaps) if gaps else 0.0


def _width(pages: list[list[Line]]) -> int:
    """The length in characters of a full line of body text (90th percentile)."""
    lengths = sorted(len(ln.text) for lines in pages for ln in lines)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _break(a: Line, b: Line, spacing: float, width: int) -> str:
    """What separates line a from the next line b of the same page: "\\n\\n", "\\n" or " "."""
    at, bt = a.text.strip(), b.text.strip()
    if _HYPHEN_END.search(at) and (_WORD_START.match(bt) or _CAPITAL_START.match(bt)):
        return ""  # a word cut at the line's end; `_Hyphens.join` decides about the hyphen
    if _DROP_CAP.match(at) and a.size > b.size and _WORD_START.match(bt):
        return ""  # a large initial letter ("T" + "he council met..."): one word
    if abs(a.size - b.size) >= 0.5:
        return "\n\n"
    if _BULLET.match(bt):
        return "\n"
    ends = bool(_SENTENCE_END.search(at))
    gap, line = a.y - b.y, spacing * max(a.size, 1)
    if spacing and gap > line * 1.4 + 0.5:
        return "\n\n"
    if spacing and gap < -line and ends:  # back up the page: a new column or frame
        return "\n\n"
    if ends and width and len(at) < 0.75 * width:
        return "\n\n"
    if width and len(at) < 0.5 * width and bt[:1].isupper() and not ends:
        return "\n"  # a heading, an address line: its own line
    return " "


def _cell(a: Line, b: Line) -> bool:
    """Is b the next cell of a's table row: on its baseline, well to the right of its end?"""
    return abs(a.y - b.y) < 1 and b.x > _end(a) + 2 * max(a.size, 1)


def _pieces_joined(lines: list[Line]) -> list[Line]:
    """Pieces of one line drawn apart (a bold word, a link) made one line again."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if prev and abs(prev.y - ln.y) < 1 and ln.x > prev.x and not _cell(prev, ln):
            out[-1] = Line(f"{prev.text} {ln.text}", prev.x, prev.y, max(prev.size, ln.size))
        else:
            out.append(ln)
    return out


def _end(ln: Line) -> float:
    """Where a line ends, roughly: half an em a character (wider than most text)."""
    return ln.x + 0.5 * max(ln.size, 1) * len(ln.text)


def _continues(text: str, nxt: Line) -> bool:
    """Does a page's last paragraph run on onto the next page?"""
    bt = nxt.text.strip()
    return bool(_WORD_START.match(bt)) and not _SENTENCE_END.search(text.rstrip())


class _Hyphens:
    """Decides whether "infor-" + "mation" is one word, by how the document writes it elsewhere."""

    def __init__(self, pages: list[list[Line]]):
        words = Counter(w.lower() for lines in pages for ln in lines
                        for w in re.findall(r"\w+(?:-\w+)*", ln.text))
        self.words = words

    def join(self, left: str, right: str) -> str:
        head = _HYPHEN_END.search(left).group(1)
        start = _WORD_START.match(right)
        if start is None:  # a capital after the hyphen: a compound of names
            return left + right
        tail = start.group(1)
        kept = f"{head}-{tail}".lower()
        if self.words[kept] and not self.words[(head + tail).lower()]:
            return left + right  # "well-known" is written so elsewhere: the hyphen is real
        return left[:-1] + right


def assemble(pages: list[list[Line]], title: str | None = None
             ) -> tuple[str, tuple[tuple[int, int], ...], tuple[tuple[int, str], ...]]:
    """The text of the pages, (offset, page number) where each page with text starts, and
    (offset, heading) where each heading starts. `title` (the metadata's) helps tell a printed
    page's header from its text."""
    pages = strip_furniture(pages, title)
    width = _width(pages)
    out = _Text(_Hyphens(pages))
    heads = _Headings(pages)
    marks: list[tuple[int, int]] = []
    for number, lines in enumerate(pages, 1):
        lines = [Line(_soft(ln.text).strip(), ln.x, ln.y, ln.size) for ln in reading_order(lines)]
        lines = _pieces_joined([ln for ln in lines if ln.text])
        if not lines:
            continue
        spacing = _spacing(lines)
        if out.parts:
            last = out.parts[-1]
            if _HYPHEN_END.search(last) and (_WORD_START.match(lines[0].text)
                                             or _CAPITAL_START.match(lines[0].text)):
                sep = ""
            else:
                sep = " " if _continues(last, lines[0]) else "\n\n"
        else:
            sep = "\n\n"  # the text's start is a paragraph's
        start = out.add(sep if out.parts else "", lines[0].text)
        heads.see(sep, lines[0], start)
        marks.append((start, number))
        row = False  # the last line was a cell of a table row: the next row starts a new line
        for a, b in zip(lines, lines[1:]):
            cell = _cell(a, b)
            sep = " | " if cell else ("\n" if row else _break(a, b, spacing, width))
            row = cell or (row and abs(a.y - b.y) < 1)
            heads.see(sep, b, out.add(sep, b.text))
    return "".join(out.parts), tuple(marks), tuple(heads.marks)


class _Headings:
    """Headings: lines set larger than the body text (the size most of the text is in), each
    starting a paragraph; a heading over two lines is one."""

    def __init__(self, pages: list[list[Line]]):
        self.body = body_size(pages)
        self.marks: list[tuple[int, str]] = []
        self.size = None  # of the heading the last line belonged to

    def see(self, sep: str, line: Line, start: int) -> None:
        big = self.body > 0 and line.size >= self.body * 1.15 and 2 < len(line.text) <= 150
        if big and self.size == line.size and sep in (" ", "\n") \
                and len(self.marks[-1][1]) + len(line.text) < 300:
            self.marks[-1] = (self.marks[-1][0], f"{self.marks[-1][1]} {line.text}")
        elif big and sep == "\n\n":
            self.marks.append((start, line.text))
            self.size = line.size
        else:
            self.size = None


class _Text:
    """The text being built, as its lines and separators (joined once at the end), and its length."""

    def __init__(self, hyph: _Hyphens):
        self.parts: list[str] = []
        self.length = 0
        self.hyph = hyph

    def add(self, sep: str, line: str) -> int:
        """Append sep + line (sep "" joins a hyphenated word, or a drop capital to the rest of
        its word); returns where the line starts."""
        if sep == "" and self.parts:
            last = self.parts.pop()
            self.length -= len(last)
            joined = self.hyph.join(last, line) if last.endswith("-") else last + line
            start = self.length + len(last) - (len(last) + len(line) - len(joined))
            self.parts.append(joined)
            self.length += len(joined)
            return start
        if sep:
            self.parts.append(sep)
            self.length += len(sep)
        start = self.length
        self.parts.append(line)
        self.length += len(line)
        return start


def _soft(text: str) -> str:
    # A soft hyphen ends a line only where the word was cut: it is a hyphen there, nothing elsewhere.
    text = text.replace("\u00ad\n", "-\n")
    return text[:-1] + "-" if text.endswith("\u00ad") else text.replace("\u00ad", "")
