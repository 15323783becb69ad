"""rnnkit's tests use tiny tensors: one thread is fastest, and avoids the oversubscription
slow-down of OpenMP worker threads when other test processes share the machine's cores."""

import torch

torch.set_num_threads(1)
