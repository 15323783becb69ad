"""The classic PyTorch names-tutorial RNN: the baseline everything else is compared with.

One name at a time, one character at a time: the input is a one-hot character concatenated
with the hidden state; one Linear makes the next hidden state and another the class scores.
No nonlinearity on the hidden state, no batching, plain SGD with a fixed learning rate.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.encoding import ALL_LETTERS, one_hot

N_LETTERS = len(ALL_LETTERS)
_LETTER_INDEX = {c: i for i, c in enumerate(ALL_LETTERS)}
LEARNING_RATE = 0.005  # the tutorial's


def name_to_tensor(name: str) -> torch.Tensor:
    """One-hot characters [len(name), 1, 57] (a batch of one); `name` must be ASCII-folded."""
    return one_hot([_LETTER_INDEX[c] for c in name], N_LETTERS).unsqueeze(1)


class TutorialRNN(nn.Module):
    def __init__(self, n_classes: int, hidden_size: int = 128, input_size: int = N_LETTERS):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, n_classes)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, letter: torch.Tensor,
                hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        combined = torch.cat((letter, hidden), dim=1)
        return self.softmax(self.i2o(combined)), self.i2h(combined)

    def init_hidden(self) -> torch.Tensor:
        return torch.zeros(1, self.hidden_size)

    def classify(self, name_tensor: torch.Tensor) -> torch.Tensor:
        """Log-probabilities [1, n_classes] after reading the whole name."""
        hidden = self.init_hidden()
        for letter in name_tensor:
            output, hidden = self(letter, hidden)
        return output


def manual_sgd_step(model: TutorialRNN, name_tensor: torch.Tensor, label: torch.Tensor,
                    lr: float = LEARNING_RATE) -> float:
    """One training step on one name, updating the weights by hand as the tutorial does.

    `label` is a LongTensor of shape [1]. Returns the step's NLL loss.
    """
    model.zero_grad()
    output = model.classify(name_tensor)
    loss = nn.functional.nll_loss(output, label)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(p.grad, alpha=-lr)
    return loss.item()
