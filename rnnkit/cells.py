"""Hand-written RNN, GRU and LSTM cells, and a layer that runs them over padded time steps.

The cells use torch's parameter layout (weight_ih [G*H, I], weight_hh [G*H, H], two biases;
gates in torch's order: GRU r, z, n; LSTM i, f, g, o), so `from_torch` can copy an
nn.RNN/GRU/LSTM and the results can be checked against cuDNN / the native kernels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

State = tuple[torch.Tensor, ...]  # (h,) for RNN and GRU, (h, c) for LSTM


class _Cell(nn.Module):
    gates = 1
    state_size = 1  # tensors in the state tuple

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(rows)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Same initialisation as torch's recurrent modules.
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """The input's contribution to the gates; for [B, T, I] it is one matmul for all steps."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def project_hidden(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.weight_hh, self.bias_hh)

    def zero_state(self, batch: int, like: torch.Tensor) -> State:
        zeros = like.new_zeros(batch, self.hidden_size)
        return (zeros,) * self.state_size

    def step(self, x_proj: torch.Tensor, state: State) -> State:
        raise NotImplementedError


class RNNCell(_Cell):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be tanh or relu, not {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias)

    def step(self, x_proj: torch.Tensor, state: State) -> State:
        pre = x_proj + self.project_hidden(state[0])
        return (torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre),)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        state = (h,) if h is not None else self.zero_state(x.shape[0], x)
        return self.step(self.project_input(x), state)[0]


class GRUCell(_Cell):
    """Gated recurrent unit; the reset gate scales the hidden projection *including* its bias."""

    gates = 3

    def step(self, x_proj: torch.Tensor, state: State) -> State:
        h = state[0]
        xr, xz, xn = x_proj.chunk(3, dim=-1)
        hr, hz, hn = self.project_hidden(h).chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return ((1 - z) * n + z * h,)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        state = (h,) if h is not None else self.zero_state(x.shape[0], x)
        return self.step(self.project_input(x), state)[0]


class LSTMCell(_Cell):
    """Long short-term memory: input, forget, cell-candidate and output gates."""

    gates = 4
    state_size = 2

    def step(self, x_proj: torch.Tensor, state: State) -> State:
        h, c = state
        i, f, g, o = (x_proj + self.project_hidden(h)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return (h, c)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        state = state if state is not None else self.zero_state(x.shape[0], x)
        h, c = self.step(self.project_input(x), tuple(state))
        return h, c


_CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}


class LoopRNN(nn.Module):
    """A stack of cells run step by step over a batch-first padded input.

    With `lengths`, a sequence's state stops changing after its last real step and its outputs
    past that step are zero, which is what a packed torch RNN computes. Returns
    (output[B, T, H], h_n[L, B, H]), or (output, (h_n, c_n)) for an LSTM, like torch.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, nonlinearity: str = "tanh") -> None:
        super().__init__()
        if mode not in _CELLS:
            raise ValueError(f"mode must be one of {', '.join(_CELLS)}, not {mode!r}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        extra = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
        self.cells = nn.ModuleList(
            _CELLS[mode](input_size if layer == 0 else hidden_size, hidden_size, bias, **extra)
            for layer in range(num_layers)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                hx: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        batch, steps, _ = x.shape
        if lengths is None:
            lengths = torch.full((batch,), steps, dtype=torch.int64)
        # mask[b, t]: step t is a real step of sequence b.
        mask = torch.arange(steps, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        initial = self._initial_states(hx, batch, x)
        finals: list[State] = []
        layer_input = x
        for cell, state in zip(self.cells, initial, strict=True):
            projected = cell.project_input(layer_input)
            outputs = []
            for t in range(steps):
                new = cell.step(projected[:, t], state)
                keep = mask[:, t, None]
                state = tuple(torch.where(keep, n, s) for n, s in zip(new, state, strict=True))
                outputs.append(state[0] * keep)
            layer_input = torch.stack(outputs, dim=1)
            finals.append(state)
        h_n = torch.stack([s[0] for s in finals])
        if self.mode == "lstm":
            return layer_input, (h_n, torch.stack([s[1] for s in finals]))
        return layer_input, h_n

    def _initial_states(self, hx, batch: int, like: torch.Tensor) -> list[State]:
        if hx is None:
            return [cell.zero_state(batch, like) for cell in self.cells]
        if self.mode == "lstm":
            h0, c0 = hx
            return [(h0[k], c0[k]) for k in range(self.num_layers)]
        return [(hx[k],) for k in range(self.num_layers)]


def from_torch(module: nn.RNN | nn.GRU | nn.LSTM) -> LoopRNN:
    """A LoopRNN with the weights of a torch recurrent module (unidirectional, no projection).

    The result is always batch-first, whatever `module.batch_first` says. Inter-layer dropout is
    not copied: compare the two in eval mode.
    """
    if isinstance(module, nn.LSTM):
        mode, nonlinearity = "lstm", "tanh"
        if module.proj_size:
            raise ValueError("LSTM with proj_size is not supported")
    elif isinstance(module, nn.GRU):
        mode, nonlinearity = "gru", "tanh"
    elif isinstance(module, nn.RNN):
        mode, nonlinearity = "rnn", module.nonlinearity
    else:
        raise TypeError(f"expected torch.nn.RNN, GRU or LSTM, got {type(module).__name__}")
    if module.bidirectional:
        raise ValueError("bidirectional modules are not supported")
    loop = LoopRNN(mode, module.input_size, module.hidden_size, module.num_layers,
                   bias=module.bias, nonlinearity=nonlinearity)
    with torch.no_grad():
        for layer, cell in enumerate(loop.cells):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                target = getattr(cell, name)
                if target is not None:
                    target.copy_(getattr(module, f"{name}_l{layer}"))
    return loop.to(next(module.parameters()).device)
