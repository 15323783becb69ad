import pytest

from rnnkit.data.errors import CorpusError
from rnnkit.data.names import load_names, train_test_split


def test_real_corpus_has_18_languages_and_20074_names(names_dir):
    corpus = load_names(names_dir)
    assert len(corpus.languages) == 18 and corpus.languages == sorted(corpus.languages)
    assert len(corpus.pairs) == 20074 and corpus.skipped == 0
    assert ("Slusarski", "Polish") in corpus.pairs
    assert all(name.isascii() for name, _ in corpus.pairs)
    assert corpus.label_index()["Vietnamese"] == 17


def test_blank_and_unfoldable_lines_are_skipped_and_counted(tmp_path):
    (tmp_path / "Greek.txt").write_text("Papadopoulos\n\n   \nΣωκράτης\nAbel\n", encoding="utf-8")
    (tmp_path / "Irish.txt").write_text("O'Neill", encoding="utf-8")
    corpus = load_names(tmp_path)
    assert corpus.pairs == [("Papadopoulos", "Greek"), ("Abel", "Greek"), ("O'Neill", "Irish")]
    assert corpus.skipped == 3
    assert corpus.skipped_lines == [("Greek.txt", 2), ("Greek.txt", 3), ("Greek.txt", 4)]


def test_bad_folders(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_names(tmp_path / "nowhere")
    with pytest.raises(CorpusError, match="no <Language>.txt"):
        load_names(tmp_path)
    (tmp_path / "Empty.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty corpus"):
        load_names(tmp_path)
    (tmp_path / "Latin1.txt").write_bytes("Müller\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"Latin1.txt is not UTF-8 \(bad byte at offset 1\)"):
        load_names(tmp_path)


def test_split_is_seeded_complete_and_disjoint():
    pairs = [(f"n{k}", "L") for k in range(1000)]
    train, test = train_test_split(pairs, 0.15, seed=0)
    assert len(test) == 150 and len(train) == 850
    assert sorted(train + test) == sorted(pairs)
    assert (train, test) == train_test_split(pairs, 0.15, seed=0)
    assert test != train_test_split(pairs, 0.15, seed=1)[1]
    with pytest.raises(ValueError):
        train_test_split(pairs, 1.5)
