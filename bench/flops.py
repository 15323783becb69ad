"""Floating-point work of recurrent layers and matrix products, from the formula, not a profiler.

Per token and layer, a forward step of a cell with G gate blocks multiplies the input (I) and the
hidden state (H) by G·H-wide weights: 2·G·H·(I+H) FLOPs (multiply and add). G = 1 for a plain
RNN, 3 for a GRU, 4 for an LSTM. A backward pass costs about twice the forward pass.
"""

from __future__ import annotations

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
BACKWARD_FACTOR = 2.0


def rnn_flops_per_token(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                        training: bool = False) -> float:
    """FLOPs one token costs across all layers (forward, plus backward when training)."""
    gates = GATES[cell]
    forward = 0.0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden_size
        forward += 2.0 * gates * hidden_size * (layer_input + hidden_size)
    return forward * (1.0 + BACKWARD_FACTOR) if training else forward


def matmul_flops(n: int) -> float:
    """FLOPs of one n×n by n×n matrix product."""
    return 2.0 * n**3
