"""Sixteen news pages as browsers save them, built here with what the story is known to be.

Each page wraps one story (headline, author, date, paragraphs) in the furniture of a real kind of
site: navigation menus, cookie banners (in and out of <main>), related-article lists inside and
beside the story, reader comments (some marked up as <article>s), newsletter boxes, share bars,
author bios, "most read" teasers that come before the story, paywall notices, and a table layout
with no <p> at all. Metadata sits where sites put it: <meta> tags, JSON-LD, <time>, a byline, a
<title> with the site's name after the headline. `PAGES` is the list of `Page(html, story)`;
`score` measures an extraction against the story. Used by tests/test_html_extraction.py and
bench/html_extraction.py.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from html import escape

TOPICS = [
    # org, org2, thing, things, person, city, verb
    ("the city council", "the regional statistics office", "a tram line", "tram journeys",
     "Mayor Helena Brandt", "Leipzig", "extend"),
    ("Nordwind Energy", "the grid operator", "an offshore wind farm", "power outages",
     "chief executive Ole Sandvik", "Bergen", "build"),
    ("the health ministry", "the national institute of public health", "a screening programme",
     "hospital admissions", "Minister Carla Rossi", "Turin", "launch"),
    ("Harbour Freight Ltd", "the port authority", "a container terminal", "ship arrivals",
     "managing director Sean Whelan", "Cork", "open"),
    ("the university", "the research council", "a quantum computing lab", "research grants",
     "Professor Amara Obi", "Lagos", "fund"),
    ("the water board", "the environment agency", "a flood barrier", "flood warnings",
     "engineer Pieter de Vries", "Rotterdam", "raise"),
    ("Vela Motors", "the transport regulator", "an electric bus factory", "bus orders",
     "founder Lucia Marin", "Valencia", "expand"),
    ("the school district", "the education inspectorate", "a free lunch scheme",
     "enrolment figures", "superintendent Mark Ellison", "Denver", "introduce"),
    ("the national library", "the culture ministry", "a digitisation project",
     "visitor numbers", "director Ingrid Holm", "Uppsala", "complete"),
    ("Alpine Rail", "the rail safety board", "a mountain tunnel", "train delays",
     "spokesperson Marco Keller", "Chur", "reopen"),
    ("the farmers' union", "the agriculture department", "a drought relief fund",
     "grain harvests", "union leader Ruth Okafor", "Kaduna", "expand"),
    ("Brightpath Telecom", "the communications regulator", "a fibre network",
     "broadband subscriptions", "chief technology officer Dev Mehta", "Pune", "roll out"),
    ("the museum trust", "the heritage council", "a new modern art wing", "ticket sales",
     "curator Elise Fournier", "Lyon", "unveil"),
    ("the coast guard", "the maritime agency", "a rescue helicopter base", "rescue calls",
     "commander Tomasz Nowak", "Gdansk", "station"),
    ("Greenleaf Foods", "the food standards agency", "a plant-based dairy", "product recalls",
     "chairwoman Mei Lin", "Auckland", "acquire"),
    ("the airport operator", "the civil aviation authority", "a second runway",
     "passenger numbers", "chief operating officer Yusuf Demir", "Izmir", "approve"),
]

SENTENCES = [
    "{Org} said on {day} that it would {verb} {thing} in {city} by {year}, a move that analysts "
    "had expected for months.",
    "According to figures released by {org2}, {things} in {city} rose by {pct} percent compared "
    "with the previous year.",
    "\u201cWe are confident this is the right decision for {city},\u201d said {person}, who has led "
    "the effort since {year0}.",
    "Critics argue that the plan underestimates the cost, which {org2} puts at {money} million "
    "euros over {n} years.",
    "The decision follows a public consultation in which more than {big} residents submitted "
    "comments, most of them in favour.",
    "{Person} added that work on {thing} could begin as early as next spring if the remaining "
    "permits are granted.",
    "Opposition politicians called for an independent review, saying the timetable left too "
    "little room for safety checks.",
    "Local businesses have welcomed the announcement, which they expect to bring about {jobs} new "
    "jobs to the area.",
    "The last comparable project in {city}, completed in {year0}, ran two years late and "
    "{pct} percent over budget.",
    "A spokesperson for {org2} declined to comment on the figures before their formal "
    "publication later this month.",
    "Residents interviewed on {day} were divided, with several worried about noise and traffic "
    "during construction.",
    "The plan still needs the approval of the regional parliament, which is expected to vote on "
    "it in {month}.",
]
COMMENTS = [
    "Great article, but I think the council should have asked the neighbourhoods first.",
    "This is exactly what happened last time and nobody learned anything from it.",
    "Finally some good news! My family has waited years for this to happen.",
    "Who is going to pay for all of this? Taxes will go up again, mark my words.",
    "I worked on a similar project and the timeline quoted here is very optimistic.",
    "Does anyone know whether the public meetings will be streamed online?",
]
NAV = ["Home", "World", "Business", "Technology", "Science", "Sport", "Culture", "Opinion",
       "Travel", "Podcasts"]
COOKIE = ("We use cookies and similar technologies to improve your experience, to show you "
          "personalised content and advertising, and to analyse our traffic. By clicking "
          "\u201cAccept all\u201d you agree to the storing of cookies on your device.")
NEWSLETTER = ("Sign up for our morning briefing: the five stories you need to know, delivered to "
              "your inbox every weekday before seven.")
FOOTER = ("\u00a9 2024 The Daily Courier Media Group. All rights reserved. Registered in "
          "England and Wales. Terms of use, privacy policy and cookie settings.")
PAYWALL = ("You have reached your limit of free articles this month. Subscribe today for "
           "unlimited access to award-winning journalism from just one euro a week.")
BIO = ("{author} is a senior correspondent covering infrastructure and public policy. "
       "Before joining the newsroom she reported from Brussels for a decade.")
MONTHS = ("January February March April May June July August September October November "
          "December").split()


@dataclass(frozen=True)
class Story:
    headline: str
    author: str
    date: str  # YYYY-MM-DD
    paragraphs: tuple[str, ...]
    related: tuple[str, ...]  # other headlines, for "related" lists


@dataclass(frozen=True)
class Page:
    name: str
    html: str
    story: Story


def _story(i: int) -> Story:
    rnd = random.Random(1000 + i)
    org, org2, thing, things, person, city, verb = TOPICS[i]
    year = 2023 + i % 3
    date = f"{year}-{1 + (i * 5) % 12:02d}-{3 + (i * 7) % 25:02d}"
    vals = dict(org=org, Org=org[0].upper() + org[1:], org2=org2, thing=thing, things=things,
                person=person, Person=person[0].upper() + person[1:], city=city, verb=verb,
                day=rnd.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
                year=year + 3, year0=year - rnd.randint(4, 12), pct=rnd.randint(3, 40),
                money=rnd.randint(40, 900), n=rnd.randint(3, 12), big=rnd.randint(2, 40) * 100,
                jobs=rnd.randint(2, 30) * 10, month=rnd.choice(MONTHS))
    order = list(range(len(SENTENCES)))
    rnd.shuffle(order)
    order.remove(0)
    order.insert(0, 0)  # the lede first
    sents = [SENTENCES[k].format(**vals) for k in order]
    cuts = [0, 2, 4, 6, 8, 10, len(sents)]
    paras = tuple(" ".join(sents[a:b]) for a, b in zip(cuts, cuts[1:]) if sents[a:b])
    headline = f"{vals['Org']} to {verb} {thing} in {city}"
    author = ["Hannah Keller", "James Osei", "Sofia Lindqvist", "Daniel Moreau"][i % 4]
    related = tuple(f"{t[0][0].upper() + t[0][1:]} to {t[6]} {t[2]} in {t[5]}"
                    for t in TOPICS[i + 1:] + TOPICS[:i])[:4]
    return Story(headline, author, date, paras, related)


def _ps(story: Story, tag: str = "p", attrs: str = "") -> str:
    return "".join(f"<{tag}{attrs}>{escape(p)}</{tag}>" for p in story.paragraphs)


def _nav(cls: str = "") -> str:
    return f'<ul{cls}>' + "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV) + "</ul>"


def _related(story: Story, heading: str = "Related articles") -> str:
    items = "".join(f'<li><a href="/story/{k}">{escape(h)}</a></li>'
                    for k, h in enumerate(story.related))
    return f"<h2>{heading}</h2><ul>{items}</ul>"


def _comments(tag: str = "div") -> str:
    return "".join(f'<{tag} class="comment"><p class="who">reader{k}</p><p>{escape(c)}</p></{tag}>'
                   for k, c in enumerate(COMMENTS))


def _head(story: Story, title: str | None = None, meta: bool = True, extra: str = "") -> str:
    tags = ""
    if meta:
        tags = (f'<meta property="article:published_time" content="{story.date}T08:30:00+01:00">'
                f'<meta name="author" content="{escape(story.author)}">')
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
            f"{escape(title or story.headline)}</title>{tags}{extra}"
            "<script>window.dataLayer=[];function track(){}</script>"
            "<style>.cookie{position:fixed}</style></head>")


def _byline(story: Story) -> str:
    return (f'<p class="byline">By <a rel="author" href="/authors/x">{escape(story.author)}</a> · '
            f'<time datetime="{story.date}">{story.date}</time></p>')


def html5(s: Story) -> str:
    return (_head(s) + f"<body><header><a href='/'>The Daily Courier</a><nav>{_nav()}</nav></header>"
            f"<main><article><h1>{escape(s.headline)}</h1>{_byline(s)}{_ps(s)}</article>"
            f"<aside>{_related(s)}</aside></main><footer><p>{FOOTER}</p></footer>"
            f'<div class="cookie"><p>{COOKIE}</p><button>Accept all</button></div></body></html>')


def div_soup(s: Story) -> str:
    return (_head(s, f"{s.headline} - The Daily Courier") +
            f'<body><div id="wrapper"><div class="header"><div class="logo">Daily Courier</div>'
            f'<div class="menu">{_nav()}</div></div><div class="content">'
            f'<h1 class="headline">{escape(s.headline)}</h1><div class="meta">By {escape(s.author)}'
            f' | {s.date}</div><div class="article-body">{_ps(s)}</div>'
            f'<div class="related">{_related(s)}</div><div class="comments"><h3>Comments</h3>'
            f'{_comments()}</div></div><div class="footer"><p>{FOOTER}</p></div></div></body></html>')


def wordpress(s: Story) -> str:
    widgets = (f'<aside id="secondary"><section class="widget"><h2>Recent posts</h2>'
               f'{_related(s, "Latest")}</section><section class="widget"><h2>Archives</h2>'
               f'<ul><li><a href="/2024/05">May 2024</a></li><li><a href="/2024/04">April 2024'
               f'</a></li></ul></section></aside>')
    comments = "".join(f'<li class="comment"><article class="comment-body"><footer class="comment-meta">'
                       f'<b>reader{k}</b> says:</footer><div class="comment-content"><p>{escape(c)}'
                       f'</p></div></article></li>' for k, c in enumerate(COMMENTS))
    return (_head(s, f"{s.headline} – Courier Blog", meta=False) +
            f'<body class="post-template"><div class="site"><header class="site-header"><nav>'
            f'{_nav()}</nav></header><div id="primary"><main id="main"><article class="post">'
            f'<header class="entry-header"><h1 class="entry-title">{escape(s.headline)}</h1>'
            f'<div class="entry-meta"><span class="author vcard">{escape(s.author)}</span> '
            f'<time class="entry-date published" datetime="{s.date}T09:00:00+00:00">{s.date}</time>'
            f'</div></header><div class="entry-content">{_ps(s)}</div><footer class="entry-footer">'
            f'Tags: <a href="/t/city">city</a>, <a href="/t/news">news</a></footer></article>'
            f'<div id="comments"><h2>{len(COMMENTS)} thoughts on this post</h2><ol class="comment-list">'
            f'{comments}</ol></div></main></div>{widgets}</div></body></html>')


def cookie_in_main(s: Story) -> str:
    return (_head(s) + f"<body><nav>{_nav()}</nav><main><div id='consent'><h2>Your privacy</h2>"
            f"<p>{COOKIE}</p><p>You can change your choices at any time in the settings.</p>"
            f"<button>Accept all</button><button>Manage</button></div><div class='story'>"
            f"<h1>{escape(s.headline)}</h1>{_byline(s)}{_ps(s)}</div></main></body></html>")


def json_ld(s: Story) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": s.headline,
          "datePublished": f"{s.date}T07:00:00Z", "author": {"@type": "Person", "name": s.author}}
    return (_head(s, f"{s.headline} | Courier", meta=False,
                  extra=f'<script type="application/ld+json">{json.dumps(ld)}</script>') +
            f'<body><div class="top">{_nav()}</div><section class="article">'
            f'<h1>{escape(s.headline)}</h1><section class="article-body">{_ps(s)}</section>'
            f'</section><div class="footer">{FOOTER}</div></body></html>')


def related_inside(s: Story) -> str:
    return (_head(s) + f"<body><header>{_nav()}</header><article><h1>{escape(s.headline)}</h1>"
            f"{_byline(s)}{_ps(s)}{_related(s, 'Read more')}<h2>More from Business</h2>"
            f"{_related(s, 'Also in the news')}</article></body></html>")


def newsletter_inside(s: Story) -> str:
    paras = list(s.paragraphs)
    body = "".join(f"<p>{escape(p)}</p>" for p in paras[:2])
    body += (f'<div class="newsletter"><p>{NEWSLETTER}</p><form><input type="email">'
             f'<button>Subscribe</button></form></div><div class="ad">Advertisement</div>')
    body += "".join(f"<p>{escape(p)}</p>" for p in paras[2:])
    body += ('<div class="share">Share this article: <a href="#">Facebook</a> <a href="#">X</a> '
             '<a href="#">Email</a></div>')
    return (_head(s) + f"<body><header>{_nav()}</header><article><h1>{escape(s.headline)}</h1>"
            f"{_byline(s)}{body}<div class='bio'><p>{BIO.format(author=s.author)}</p></div>"
            f"</article></body></html>")


def live_blog(s: Story) -> str:
    posts = "".join(f'<div class="post"><time>{9 + k}:{15 * (k % 4):02d}</time><p>{escape(p)}</p></div>'
                    for k, p in enumerate(s.paragraphs))
    return (_head(s, f"Live: {s.headline}") + f"<body><nav>{_nav()}</nav><div class='liveblog'>"
            f"<h1>{escape(s.headline)}</h1>{_byline(s)}{posts}</div>"
            f"<div class='cookie-banner'><p>{COOKIE}</p></div></body></html>")


def table_layout(s: Story) -> str:
    body = "<br><br>".join(escape(p) for p in s.paragraphs)
    links = "<br>".join(f'<a href="/{n.lower()}">{n}</a>' for n in NAV)
    return (_head(s, f"The Daily Courier: {s.headline}") +
            f'<body><table width="100%"><tr><td width="150" valign="top">{links}</td>'
            f'<td valign="top"><font size="5"><b>{escape(s.headline)}</b></font><br>'
            f'<i>by {escape(s.author)}, {s.date}</i><br><br><font face="Arial">{body}</font></td>'
            f'<td width="200" valign="top"><b>Most read</b><br>'
            + "<br>".join(f'<a href="/r{k}">{escape(h)}</a>' for k, h in enumerate(s.related))
            + f'</td></tr></table><center><small>{FOOTER}</small></center></body></html>')


def medium_like(s: Story) -> str:
    paras = "".join(f'<p class="pw-post-body-paragraph"><span>{escape(p)}</span></p>'
                    for p in s.paragraphs)
    return (_head(s, f"{s.headline} | by {s.author} | Medium") +
            f'<body><div id="root"><div class="nav">{_nav()}</div><article><div><section><div>'
            f'<h1 class="pw-post-title">{escape(s.headline)}</h1><div class="author">'
            f'<a rel="author" href="/@x">{escape(s.author)}</a><span>{s.date}</span></div>'
            f'{paras}</div></section></div></article><div class="recommended">'
            f'{_related(s, "More from Medium")}</div></div></body></html>')


def teasers_first(s: Story) -> str:
    teasers = "".join(f'<article class="teaser"><h3><a href="/t{k}">{escape(h)}</a></h3>'
                      f'<p>{escape(h)}: what we know so far about the plans and the people behind '
                      f'them.</p></article>' for k, h in enumerate(s.related))
    return (_head(s) + f"<body><header>{_nav()}<div class='trending'><h2>Most read</h2>{teasers}"
            f"</div></header><main><article class='story'><h1>{escape(s.headline)}</h1>"
            f"{_byline(s)}{_ps(s)}</article></main><section id='comments'>{_comments('article')}"
            f"</section></body></html>")


def site_suffix(s: Story) -> str:
    return (_head(s, f"{s.headline} | The Daily Courier — News, Sport and Opinion",
                  extra=f'<meta property="og:title" content="{escape(s.headline)}">') +
            f"<body><div class='masthead'>{_nav()}</div><div class='main'><h1>{escape(s.headline)}"
            f"</h1>{_byline(s)}<div class='text'>{_ps(s)}</div></div>"
            f"<div class='footer-links'>{_nav()}<p>{FOOTER}</p></div></body></html>")


def paywall(s: Story) -> str:
    return (_head(s) + f"<body><header>{_nav()}</header><article><h1>{escape(s.headline)}</h1>"
            f"{_byline(s)}{_ps(s)}<div class='paywall'><h3>Keep reading</h3><p>{PAYWALL}</p>"
            f"<a href='/subscribe'>Subscribe</a></div></article><footer>{FOOTER}</footer>"
            f"</body></html>")


def blog_sidebar(s: Story) -> str:
    return (_head(s, f"{s.headline} — a city blog", meta=False) +
            f'<body><div class="container"><div class="post"><h2 class="post-title">'
            f'{escape(s.headline)}</h2><div class="post-header">Posted by {escape(s.author)} on '
            f'{s.date}</div><div class="post-body">{_ps(s)}</div></div><div class="sidebar">'
            f'<h3>About me</h3><p>{BIO.format(author=s.author)}</p><h3>Blog archive</h3>'
            f'{_related(s, "Older posts")}</div><div class="comments">{_comments()}</div>'
            f'</div></body></html>')


def amp(s: Story) -> str:
    return (_head(s).replace("<html lang='en'>", "<html ⚡ lang='en'>") +
            f'<body><amp-sidebar id="menu">{_nav()}</amp-sidebar><div class="amp-wp-article">'
            f'<h1 class="amp-wp-title">{escape(s.headline)}</h1>{_byline(s)}'
            f'<amp-img src="/a.jpg" width="600" height="400"></amp-img>'
            f'<div class="amp-wp-article-content">{_ps(s)}</div></div>'
            f'<div class="amp-related">{_related(s)}</div><amp-consent><p>{COOKIE}</p>'
            f'</amp-consent></body></html>')


def read_more_inline(s: Story) -> str:
    paras = list(s.paragraphs)
    body = ""
    for k, p in enumerate(paras):
        body += f"<p>{escape(p)}</p>"
        if k < len(s.related) and k % 2 == 0:
            body += (f'<p class="read-more"><strong>Read more:</strong> <a href="/rm{k}">'
                     f'{escape(s.related[k])}</a></p>')
    return (_head(s) + f"<body><nav>{_nav()}</nav><div id='content'><h1>{escape(s.headline)}</h1>"
            f"{_byline(s)}<div class='story-body'>{body}</div></div>"
            f"<div id='cookie-notice'><p>{COOKIE}</p></div><footer>{FOOTER}</footer></body></html>")


BUILDERS = [html5, div_soup, wordpress, cookie_in_main, json_ld, related_inside, newsletter_inside,
            live_blog, table_layout, medium_like, teasers_first, site_suffix, paywall,
            blog_sidebar, amp, read_more_inline]
PAGES = [Page(f"{b.__name__}.html", b(_story(i)), _story(i)) for i, b in enumerate(BUILDERS)]


# ---- scoring -------------------------------------------------------------------------------
def _words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def score(story: Story, text: str, title: str | None, author: str | None,
          date: str | None) -> dict:
    """Word precision and recall of the main text (the headline and paragraphs are the truth),
    and whether title, author and date are exactly right."""
    truth = _words(story.headline + " " + " ".join(story.paragraphs))
    got = _words(text or "")
    common = sum((truth & got).values())
    p = common / max(1, sum(got.values()))
    r = common / max(1, sum(truth.values()))
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "title": _norm(title) == _norm(story.headline),
            "author": _norm(author) == _norm(story.author),
            "date": (date or "")[:10] == story.date}


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", (s or "").strip().lower())
