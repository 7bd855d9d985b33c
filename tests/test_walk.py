"""`rag index` over a hostile folder: unreadable files and folders, link loops, deep nesting,
links out of the folder, NUL bytes late in a file. Each is reported as skipped with its reason,
and the rest is indexed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.read.ingest import read_sources
from rag.read.walk import MAX_DEPTH
from tests.conftest import ROOT

GOOD = "The harbour of Oban saw its busiest summer in a decade, the council said on Monday.\n"


def reasons(skipped) -> dict[str, str]:
    return {Path(s.source).name: s.reason for s in skipped}


def test_links_out_loops_and_depth_are_skipped_with_reasons(tmp_path):
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(GOOD)
    (root / "sub" / "b.md").write_text(GOOD)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the password file\n")
    (root / "passwd.txt").symlink_to(secret)
    (root / "etc").symlink_to("/etc")
    (root / "sub" / "loop").symlink_to(root)  # back up to the root: a loop
    (root / "inside.txt").symlink_to(root / "a.txt")  # a link within the folder is fine
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    os.mkfifo(root / "pipe.txt")
    deep = root / "deep"
    for _ in range(MAX_DEPTH + 5):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "lost.txt").write_text(GOOD)
    arts, skipped = read_sources([root])
    assert [a.id for a in arts] == ["a.txt", "inside.txt", "sub/b.md"]
    why = reasons(skipped)
    assert "outside the indexed folder" in why["passwd.txt"]
    assert "outside the indexed folder" in why["etc"]
    assert "loop" in why["loop"]
    assert "leads nowhere" in why["dangling.txt"]
    assert "not a regular file" in why["pipe.txt"]
    assert f"more than {MAX_DEPTH} folders deep" in why["d"]
    assert not any("password" in a.text for a in arts)


def test_a_folder_1500_deep_is_no_recursion_error(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    (root / "a.txt").write_text(GOOD)
    # Built relative to each level: the whole path is longer than the system allows.
    fd = os.open(root, os.O_RDONLY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(fd)
    try:
        arts, skipped = read_sources([root])
        assert [a.id for a in arts] == ["a.txt"]
        assert any("folders deep" in s.reason for s in skipped)
    finally:  # pytest's own clean-up recurses, and would fail on this tree
        subprocess.run(["rm", "-rf", str(root / "d")], check=True)


def test_a_nul_byte_anywhere_makes_a_file_binary(tmp_path):
    late = tmp_path / "late.txt"
    late.write_bytes(GOOD.encode() * 200 + b"\x00tail")
    assert len(GOOD) * 200 > 8192
    arts, skipped = read_sources([late])
    assert not arts and "binary" in skipped[0].reason


def test_rag_index_skips_unreadable_files_and_folders_and_goes_on(tmp_path):
    """chmod 000 stops no one as root, so as root the command runs without the capabilities
    that let root read what it may not (setpriv)."""
    if os.geteuid() == 0 and subprocess.run(["setpriv", "--help"], capture_output=True).returncode:
        pytest.skip("root, without setpriv to give up reading what chmod 000 closes")
    tmp = tmp_path
    root = tmp / "articles"
    (root / "closed").mkdir(parents=True)
    (root / "a.txt").write_text(GOOD)
    (root / "locked.txt").write_text(GOOD)
    (root / "closed" / "c.txt").write_text(GOOD)
    (root / "locked.txt").chmod(0)
    (root / "closed").chmod(0)
    index = tmp / "index"
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_PLUGINS="tests.fakes",
               RAG_EMBEDDER="fake-hash", PYTHONDONTWRITEBYTECODE="1", HOME=str(tmp))
    plain = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] \
        if os.geteuid() == 0 else []
    r = subprocess.run([*plain, sys.executable, "-m", "rag", "index", str(root), "--index",
                        str(index), "--json"], cwd=tmp, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    why = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert report["added"] == 1 and "Traceback" not in r.stderr
    assert "cannot be read (Permission denied)" in why["locked.txt"]
    assert "cannot list this folder (Permission denied)" in why["closed"]


@pytest.mark.parametrize("name", ["closed"])
def test_articles_in_a_folder_unreadable_this_time_are_kept(tmp_path, name):
    from rag import registry
    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync
    from rag.index.store import Index

    root = tmp_path / "articles"
    (root / name).mkdir(parents=True)
    (root / name / "c.txt").write_text(GOOD)
    emb = registry.embedder("fake-hash")
    sync([root], tmp_path / "index", emb, ChunkParams(60, 1))
    (root / name).rename(tmp_path / "away")
    (root / name).symlink_to(tmp_path / "away")  # now a link out: skipped, and its article kept
    report = sync([root], tmp_path / "index", emb, ChunkParams(60, 1))
    assert report.removed == 0 and report.skipped
    assert f"{name}/c.txt" in Index.open(tmp_path / "index").articles
