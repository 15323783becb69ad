"""rnnkit.data.fetch on its own; `rnnbench data fetch` over HTTP is in test_cli_data.py."""

import pytest

from rnnkit.data.fetch import FetchError, corpus_folder, fetch_corpus


def test_unknown_corpus_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match="unknown corpus 'shakespeare'"):
        corpus_folder("shakespeare", tmp_path)


def test_a_file_that_fails_its_checksum_leaves_nothing(tmp_path):
    source = tmp_path / "nietzsche.txt"
    source.write_text("not the real text\n")
    dest = tmp_path / "corpora"
    lines: list[str] = []
    with pytest.raises(FetchError, match="checksum mismatch for nietzsche.txt"):
        fetch_corpus("nietzsche", dest, url=source.as_uri(), log=lines.append)
    assert lines == [f"downloading {source.as_uri()}", "received 18 bytes"]
    assert list(dest.iterdir()) == []


def test_an_existing_corpus_is_not_fetched_again(tmp_path):
    (tmp_path / "names").mkdir()
    with pytest.raises(FetchError, match="already exists"):
        fetch_corpus("names", tmp_path, url="http://127.0.0.1:9/never-asked")
