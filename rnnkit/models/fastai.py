"""Character models from the fast.ai course (2018, lesson 6), written afresh.

Char3Model: read 3 characters with one shared hidden layer, predict the 4th.
CharRNN:    the same idea for any context size, with torch's RNN doing the loop.
CharLM:     a language model predicting the next character at every step of a chunk, carrying
            its hidden state from one chunk to the next.
identity_init: start hidden-to-hidden weights at the identity (Le, Jaitly & Hinton, 2015), so a
            plain RNN starts by remembering its state instead of scrambling it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_RNNS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class Char3Model(nn.Module):
    """x[B, 3] character ids -> log-probabilities [B, vocab] of the next character."""

    def __init__(self, vocab_size: int, n_fac: int = 42, n_hidden: int = 256,
                 identity_init: bool = False) -> None:
        super().__init__()
        self.n_hidden = n_hidden
        self.embedding = nn.Embedding(vocab_size, n_fac)
        self.l_in = nn.Linear(n_fac, n_hidden)
        self.l_hidden = nn.Linear(n_hidden, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)
        if identity_init:
            with torch.no_grad():
                self.l_hidden.weight.copy_(torch.eye(n_hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 3:
            raise ValueError(f"Char3Model reads exactly 3 characters, got {x.shape[1]}")
        h = x.new_zeros(x.shape[0], self.n_hidden, dtype=torch.float32)
        for t in range(3):
            # The same input and hidden layers at every position: an RNN unrolled by hand.
            h = torch.tanh(self.l_hidden(h + F.relu(self.l_in(self.embedding(x[:, t])))))
        return F.log_softmax(self.l_out(h), dim=-1)


class CharRNN(nn.Module):
    """x[B, n] character ids (any context size n) -> log-probabilities [B, vocab] of the next."""

    def __init__(self, vocab_size: int, n_fac: int = 42, n_hidden: int = 256,
                 cell: str = "rnn", identity_init: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, n_fac)
        self.rnn = _RNNS[cell](n_fac, n_hidden, batch_first=True)
        self.l_out = nn.Linear(n_hidden, vocab_size)
        if identity_init:
            _identity_hidden(self.rnn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embedding(x))
        return F.log_softmax(self.l_out(output[:, -1]), dim=-1)


class CharLM(nn.Module):
    """x[B, T] -> log-probabilities [B, T, vocab] of each next character.

    Stateful: the hidden state at the end of one call starts the next (detached, so gradients
    stop at the chunk boundary); consecutive batches must continue each other's text.
    Call reset() at the start of each epoch.
    """

    def __init__(self, vocab_size: int, n_fac: int = 42, n_hidden: int = 256,
                 cell: str = "gru", num_layers: int = 1, identity_init: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, n_fac)
        self.rnn = _RNNS[cell](n_fac, n_hidden, num_layers, batch_first=True)
        self.l_out = nn.Linear(n_hidden, vocab_size)
        self.state = None
        if identity_init:
            _identity_hidden(self.rnn)

    def reset(self) -> None:
        self.state = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.state is not None and _batch_of(self.state) != x.shape[0]:
            self.state = None  # a short last batch cannot continue a full one
        output, state = self.rnn(self.embedding(x), self.state)
        self.state = tuple(s.detach() for s in state) if isinstance(state, tuple) \
            else state.detach()
        return F.log_softmax(self.l_out(output), dim=-1)


def _batch_of(state) -> int:
    return (state[0] if isinstance(state, tuple) else state).shape[1]


def _identity_hidden(rnn: nn.RNNBase) -> None:
    """Each gate block of every hidden-to-hidden matrix set to the identity."""
    with torch.no_grad():
        for name, weight in rnn.named_parameters():
            if name.startswith("weight_hh"):
                hidden = weight.shape[1]
                weight.copy_(torch.eye(hidden).repeat(weight.shape[0] // hidden, 1))
