import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pad_packed_sequence

from rnnkit.batching import pack
from rnnkit.cells import GRUCell, LoopRNN, LSTMCell, RNNCell, from_torch

TORCH_MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
TOL = dict(rtol=0, atol=1e-5)


def _torch_packed(module, x, lengths):
    output, state = module(pack(x, lengths))
    output, _ = pad_packed_sequence(output, batch_first=True, total_length=x.shape[1])
    return output, state


@settings(max_examples=25, deadline=None)
@given(mode=st.sampled_from(sorted(TORCH_MODULES)), layers=st.integers(1, 3),
       batch=st.integers(1, 6), steps=st.integers(1, 9), hidden=st.integers(1, 12),
       seed=st.integers(0, 10_000), data=st.data())
def test_loop_matches_torch_outputs_and_final_states(mode, layers, batch, steps, hidden, seed,
                                                     data):
    torch.manual_seed(seed)
    lengths = torch.tensor(data.draw(st.lists(st.integers(1, steps), min_size=batch,
                                              max_size=batch)))
    module = TORCH_MODULES[mode](5, hidden, num_layers=layers, batch_first=True)
    x = torch.randn(batch, steps, 5)
    loop = from_torch(module)
    with torch.no_grad():
        want_out, want_state = _torch_packed(module, x, lengths)
        got_out, got_state = loop(x, lengths)
    torch.testing.assert_close(got_out, want_out, **TOL)
    if mode == "lstm":
        torch.testing.assert_close(got_state[0], want_state[0], **TOL)
        torch.testing.assert_close(got_state[1], want_state[1], **TOL)
    else:
        torch.testing.assert_close(got_state, want_state, **TOL)


@pytest.mark.parametrize("mode", sorted(TORCH_MODULES))
def test_full_length_batch_with_initial_state_matches_unpacked_torch(mode):
    torch.manual_seed(1)
    module = TORCH_MODULES[mode](4, 6, num_layers=2, batch_first=False)
    loop = from_torch(module)
    x = torch.randn(3, 7, 4)
    h0 = torch.randn(2, 3, 6)
    hx = (h0, torch.randn(2, 3, 6)) if mode == "lstm" else h0
    with torch.no_grad():
        want_out, want_state = module(x.transpose(0, 1), hx)
        got_out, got_state = loop(x, hx=hx)
    torch.testing.assert_close(got_out, want_out.transpose(0, 1), **TOL)
    torch.testing.assert_close(got_state, want_state, **TOL)


def test_relu_rnn_and_no_bias_are_copied():
    torch.manual_seed(2)
    module = nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(from_torch(module)(x)[1], module(x)[1], **TOL)


@pytest.mark.parametrize("ours, theirs", [(RNNCell, nn.RNNCell), (GRUCell, nn.GRUCell),
                                          (LSTMCell, nn.LSTMCell)])
def test_single_cells_match_torch_cells(ours, theirs):
    torch.manual_seed(3)
    reference = theirs(5, 8)
    cell = ours(5, 8)
    cell.load_state_dict(reference.state_dict())
    x, h = torch.randn(4, 5), torch.randn(4, 8)
    state = (h, torch.randn(4, 8)) if ours is LSTMCell else h
    with torch.no_grad():
        torch.testing.assert_close(cell(x, state), reference(x, state), **TOL)


def test_state_freezes_after_the_true_length():
    torch.manual_seed(4)
    loop = LoopRNN("gru", 3, 5)
    x = torch.randn(1, 6, 3)
    with torch.no_grad():
        out_short, h_short = loop(x, torch.tensor([2]))
        _, h_cut = loop(x[:, :2])
    torch.testing.assert_close(h_short, h_cut, **TOL)
    assert torch.all(out_short[:, 2:] == 0)


def test_rejects_what_it_cannot_copy():
    with pytest.raises(ValueError):
        from_torch(nn.GRU(3, 4, bidirectional=True))
    with pytest.raises(TypeError):
        from_torch(nn.Linear(3, 4))
    with pytest.raises(ValueError):
        LoopRNN("transformer", 3, 4)


def test_gradients_flow_through_the_loop():
    loop = LoopRNN("lstm", 3, 4, num_layers=2)
    out, (h, c) = loop(torch.randn(2, 5, 3), torch.tensor([5, 2]))
    (out.sum() + h.sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loop.parameters())
