import pytest
import torch

from rnnkit.batching import BucketBatchSampler, pad_batch
from rnnkit.cells import from_torch
from rnnkit.data.synthetic import synthetic_sequences
from rnnkit.models.classifier import CharClassifier

TOL = dict(rtol=0, atol=1e-5)


def _model(cell, layers=2):
    torch.manual_seed(0)
    return CharClassifier(vocab_size=30, n_classes=5, cell=cell, hidden_size=16, embed_dim=8,
                          num_layers=layers).eval()


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_padded_packed_loop_and_bucketed_agree_per_sequence(cell):
    model = _model(cell)
    seqs = synthetic_sequences("names", 64, vocab_size=30, seed=1)
    ids, lengths = pad_batch(seqs)
    loop_model = CharClassifier(30, 5, cell=cell, hidden_size=16, embed_dim=8, num_layers=2,
                                impl="loop").eval()
    loop_model.embedding.load_state_dict(model.embedding.state_dict())
    loop_model.head.load_state_dict(model.head.state_dict())
    loop_model.rnn = from_torch(model.rnn)
    with torch.no_grad():
        padded = model(ids, lengths)
        packed = model(ids, lengths, packed=True)
        looped = loop_model(ids, lengths)
        bucketed = torch.empty_like(padded)
        for batch in BucketBatchSampler(lengths.tolist(), batch_size=8, seed=0):
            sub_ids, sub_lengths = pad_batch([seqs[i] for i in batch])
            bucketed[batch] = model(sub_ids, sub_lengths)
    torch.testing.assert_close(packed, padded, **TOL)
    torch.testing.assert_close(looped, padded, **TOL)
    torch.testing.assert_close(bucketed, padded, **TOL)


def test_final_state_is_taken_at_the_true_length_not_the_padded_end():
    model = _model("gru", layers=1)
    short = torch.tensor([4, 5])
    ids, lengths = pad_batch([short, torch.tensor([6, 7, 8, 9, 10, 11])])
    with torch.no_grad():
        state = model.final_state(ids, lengths)
        alone = model.final_state(short.unsqueeze(0), torch.tensor([2]))
        naive = model.rnn(model.embedding(ids))[1][-1]
    torch.testing.assert_close(state[0], alone[0], **TOL)
    assert not torch.allclose(naive[0], alone[0], atol=1e-3)
    torch.testing.assert_close(naive[1], state[1], **TOL)


def test_bad_cell_or_impl():
    with pytest.raises(ValueError):
        CharClassifier(10, 2, cell="transformer")
    with pytest.raises(ValueError):
        CharClassifier(10, 2, impl="cuda")


def test_it_learns_a_toy_task():
    torch.manual_seed(0)
    # Class = whether the sequence contains id 3: needs memory across time steps.
    seqs = synthetic_sequences("uniform", 256, vocab_size=6, seed=0)
    labels = torch.tensor([int(bool((s == 3).any())) for s in seqs])
    ids, lengths = pad_batch(seqs)
    model = CharClassifier(6, 2, cell="gru", hidden_size=16, embed_dim=8)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(ids, lengths), labels)
        loss.backward()
        opt.step()
    accuracy = (model(ids, lengths).argmax(1) == labels).float().mean().item()
    assert accuracy > 0.95
