import pytest

from rnnkit.data.errors import CorpusError
from rnnkit.data.text import context_windows, load_text, sequence_chunks


def test_load_nietzsche(nietzsche_file):
    text = load_text(nietzsche_file)
    assert len(text) == 600893 and len(set(text)) == 84
    assert text.startswith("PREFACE\n")


def test_load_text_errors(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_text(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(CorpusError, match="empty"):
        load_text(tmp_path / "empty.txt")
    (tmp_path / "bad.txt").write_bytes(b"ok\xff")
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_text(tmp_path / "bad.txt")


def test_context_windows_predict_the_next_id():
    x, y = context_windows(list(range(10, 17)), 3)
    assert x.tolist() == [[10, 11, 12], [11, 12, 13], [12, 13, 14], [13, 14, 15]]
    assert y.tolist() == [13, 14, 15, 16]
    x, y = context_windows(list(range(10, 17)), 3, step=3)
    assert x.tolist() == [[10, 11, 12], [13, 14, 15]] and y.tolist() == [13, 16]
    with pytest.raises(ValueError):
        context_windows([1, 2, 3], 3)


def test_sequence_chunks_shift_targets_by_one():
    x, y = sequence_chunks(list(range(8)), 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert y.tolist() == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(ValueError):
        sequence_chunks([1, 2], 2)
