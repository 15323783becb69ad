"""Floating-point work of recurrent layers and matrix products, from the formula, not a profiler.

Per token and layer, a forward step of a cell with G gate blocks multiplies the input (I) and the
hidden state (H) by G·H-wide weights: 2·G·H·(I+H) FLOPs (multiply and add). G = 1 for a plain
RNN, 3 for a GRU, 4 for an LSTM. The backward pass multiplies for the two weight gradients
(2·G·H·(I+H)), the hidden state's gradient (2·G·H·H) and, only where the layer's input needs a
gradient, the input's (2·G·H·I): twice the forward pass with it, less without it. Autograd skips
the input gradient of a layer whose input needs none (the kernels' first layer: an input tensor,
not a parameter's output), so counting "backward = 2 × forward" there overstates a GRU's or an
RNN's work by a fifth when I = H.
"""

from __future__ import annotations

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def rnn_flops_per_token(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                        training: bool = False, input_grad: bool = True) -> float:
    """FLOPs one token costs across all layers (forward, plus backward when training).

    `input_grad`: whether the first layer's input needs a gradient (an embedding's output does;
    a plain input tensor does not); the layers above always compute their input's gradient.
    """
    gates = GATES[cell]
    total = 0.0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden_size
        forward = 2.0 * gates * hidden_size * (layer_input + hidden_size)
        total += forward
        if training:
            total += forward + 2.0 * gates * hidden_size * hidden_size  # weights, hidden state
            if layer > 0 or input_grad:
                total += 2.0 * gates * hidden_size * layer_input  # the input's gradient
    return total


def rnn_step_flops(cell: str, input_size: int, hidden_size: int, num_layers: int, batch: int,
                   seq_len: int, training: bool, fused_backward: bool) -> float:
    """FLOPs of one call of a layer stack on a dense [batch, seq_len] input, as the step
    really computes them.

    Unfused (autograd over GEMMs: the loop cells, torch's CPU GRU and RNN), a training step skips
    the first layer's input gradient and, in every layer, the hidden-state gradient of the first
    step (the initial state is zeros that need none). A fused backward pass (cuDNN, oneDNN's
    LSTM) computes both anyway.
    """
    tokens = batch * seq_len
    total = tokens * rnn_flops_per_token(cell, input_size, hidden_size, num_layers, training,
                                         input_grad=fused_backward)
    if training and not fused_backward:
        total -= num_layers * batch * 2.0 * GATES[cell] * hidden_size * hidden_size
    return total


def matmul_flops(n: int) -> float:
    """FLOPs of one n×n by n×n matrix product."""
    return 2.0 * n**3
