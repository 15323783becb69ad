import pytest
import torch

from rnnkit.encoding import ALL_LETTERS, Vocab, one_hot, unicode_to_ascii


def test_alphabet_is_the_tutorials_57_symbols():
    assert len(ALL_LETTERS) == 57 and len(set(ALL_LETTERS)) == 57
    assert "'" in ALL_LETTERS and "-" not in ALL_LETTERS


@pytest.mark.parametrize("raw, folded", [
    ("Ślusàrski", "Slusarski"),
    ("Müller", "Muller"),
    ("O'Brien", "O'Brien"),
    ("To The First\xa0 Page", "To The First Page"),
    ("Lu:", "Lu"),
    ("Rafaj1", "Rafaj"),
    ("Abdank-Kosubski", "AbdankKosubski"),
    ("Gwang ", "Gwang "),
    ("Иванов", ""),
])
def test_unicode_to_ascii(raw, folded):
    assert unicode_to_ascii(raw) == folded


def test_vocab_reserves_padding_and_unknown():
    vocab = Vocab.from_texts(["abc", "cab", "d"])
    assert len(vocab) == 6
    ids = vocab.encode("dab")
    assert all(i >= 2 for i in ids)
    assert vocab.decode(ids) == "dab"
    assert vocab.encode("az") == [vocab.encode("a")[0], Vocab.UNK]
    assert vocab.decode([Vocab.PAD, *vocab.encode("b"), Vocab.PAD]) == "b"
    assert vocab.decode([Vocab.UNK]) == "\ufffd"


def test_one_hot():
    rows = one_hot([2, 0], 4)
    assert rows.dtype == torch.float32
    assert rows.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
