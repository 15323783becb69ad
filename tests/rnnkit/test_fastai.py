import torch
import torch.nn.functional as F

from rnnkit.data.text import context_windows, sequence_chunks
from rnnkit.models.fastai import Char3Model, CharLM, CharRNN

TEXT_IDS = [2, 3, 4, 5] * 60  # a periodic "text": the next id is fully determined


def _fit(model, x, y, steps=80, lr=0.02):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        out = model(x)
        loss = F.nll_loss(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
    return loss.item()


def test_char3model_learns_the_next_character():
    torch.manual_seed(0)
    x, y = context_windows(TEXT_IDS, 3)
    model = Char3Model(vocab_size=6, n_fac=4, n_hidden=16)
    assert model(x).shape == (len(x), 6)
    assert _fit(model, x, y) < 0.05


def test_charrnn_takes_any_context_size():
    torch.manual_seed(0)
    x, y = context_windows(TEXT_IDS, 8)
    model = CharRNN(vocab_size=6, n_fac=4, n_hidden=16)
    torch.testing.assert_close(model(x).exp().sum(1), torch.ones(len(x)))
    assert _fit(model, x, y) < 0.05


def test_identity_init_sets_hidden_to_hidden_weights():
    model = CharRNN(6, n_hidden=5, identity_init=True)
    assert torch.equal(model.rnn.weight_hh_l0, torch.eye(5))
    gru = CharLM(6, n_hidden=5, cell="gru", identity_init=True)
    assert torch.equal(gru.rnn.weight_hh_l0, torch.eye(5).repeat(3, 1))
    char3 = Char3Model(6, n_hidden=5, identity_init=True)
    assert torch.equal(char3.l_hidden.weight, torch.eye(5))


def test_language_model_carries_state_between_chunks():
    torch.manual_seed(0)
    x, y = sequence_chunks(TEXT_IDS, 5)
    model = CharLM(vocab_size=6, n_fac=4, n_hidden=16, cell="lstm")
    out = model(x[:4])
    assert out.shape == (4, 5, 6)
    assert model.state is not None and not model.state[0].requires_grad
    again = model(x[:4])  # same input, but it starts from the carried state
    assert not torch.allclose(out, again)
    model.reset()
    torch.testing.assert_close(model(x[:4]), out)
    model.reset()
    assert _fit(model, x, y, steps=60) < 0.1
