"""`rnnbench data fetch`: download a real corpus, verify it, and move it into place atomically.

The downloader is `rnnkit.data.fetch`; this command checks the name, skips a corpus that is
already there, and turns a failed fetch into a one-line error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rnnbench.commands import UserError
from rnnkit.data.fetch import CORPORA, FetchError, check_url, corpus_folder, fetch_corpus


def fetch_command(corpus: str, dest: Path, url: str | None) -> int:
    if corpus not in CORPORA:
        raise UserError(f"unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}", 2)
    if url is not None:
        try:
            check_url(url)
        except FetchError as exc:
            raise UserError(f"--url: {exc}", 2) from None
    target = corpus_folder(corpus, dest)
    if target.exists():
        print(f"{target} already exists; remove it to fetch {corpus} again", file=sys.stderr)
        return 0
    try:
        fetch_corpus(corpus, dest, url)
    except FetchError as exc:
        raise UserError(str(exc), 1) from None
    print(f"{corpus} corpus ready in {target}")
    return 0
