"""CharClassifier: embedding -> recurrent layers -> linear, over a batch of padded ids.

The class of a sequence is read from the last layer's hidden state at its *true* last step.
Three ways to get there give the same numbers:
  - padded: one kernel call over the whole padded batch, then gather the output at lengths-1.
    The steps past a sequence's end are computed and thrown away; that is the price of padding.
    (Correct only because the RNN runs forwards: a backward direction would start on padding.)
  - packed: torch packs the batch so each step runs only the sequences still going.
  - loop (impl="loop"): the hand-written cells of rnnkit.cells, masked over time.
Bucketing changes which sequences share a batch, not the per-sequence result.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.batching import PAD_ID, pack
from rnnkit.cells import LoopRNN

_TORCH_RNNS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class CharClassifier(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, cell: str = "lstm",
                 hidden_size: int = 128, embed_dim: int = 32, num_layers: int = 1,
                 impl: str = "torch", dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in _TORCH_RNNS:
            raise ValueError(f"cell must be one of {', '.join(_TORCH_RNNS)}, not {cell!r}")
        if impl not in ("torch", "loop"):
            raise ValueError(f"impl must be torch or loop, not {impl!r}")
        self.cell, self.impl = cell, impl
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        if impl == "torch":
            # Inter-layer dropout only exists between layers; torch warns if asked for one layer.
            between = dropout if num_layers > 1 else 0.0
            self.rnn = _TORCH_RNNS[cell](embed_dim, hidden_size, num_layers, batch_first=True,
                                         dropout=between)
        else:
            self.rnn = LoopRNN(cell, embed_dim, hidden_size, num_layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor,
                packed: bool = False) -> torch.Tensor:
        """Logits [B, n_classes] for padded ids [B, T] with true lengths [B]."""
        return self.head(self.dropout(self.final_state(ids, lengths, packed)))

    def final_state(self, ids: torch.Tensor, lengths: torch.Tensor,
                    packed: bool = False) -> torch.Tensor:
        """The last layer's hidden state at each sequence's true length, [B, hidden_size].

        `packed` picks torch's packed path; the loop implementation masks instead and ignores it.
        """
        x = self.embedding(ids)
        if self.impl == "loop":
            _, h_n = self.rnn(x, lengths)
            return _last_layer(h_n)
        if packed:
            _, h_n = self.rnn(pack(x, lengths))
            return _last_layer(h_n)
        output, _ = self.rnn(x)
        index = (lengths.to(output.device) - 1).view(-1, 1, 1).expand(-1, 1, output.shape[-1])
        return output.gather(1, index).squeeze(1)


def _last_layer(h_n: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
        h_n = h_n[0]
    return h_n[-1]
