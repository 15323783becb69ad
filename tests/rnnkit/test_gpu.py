"""The same agreement checks on a CUDA GPU (cuDNN kernels); skipped where there is none."""

import pytest
import torch

from rnnkit.batching import pad_batch
from rnnkit.cells import from_torch
from rnnkit.data.synthetic import synthetic_sequences
from rnnkit.models.classifier import CharClassifier

pytestmark = pytest.mark.gpu


@pytest.fixture
def exact_fp32():
    """TF32 would round matmul inputs to 10 bits; the 1e-5 agreement needs full fp32."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_padded_packed_and_loop_agree_on_cuda(cell, exact_fp32):
    torch.manual_seed(0)
    model = CharClassifier(30, 5, cell=cell, hidden_size=32, embed_dim=8, num_layers=2)
    model = model.cuda().eval()
    loop = CharClassifier(30, 5, cell=cell, hidden_size=32, embed_dim=8, num_layers=2,
                          impl="loop").cuda().eval()
    loop.embedding.load_state_dict(model.embedding.state_dict())
    loop.head.load_state_dict(model.head.state_dict())
    loop.rnn = from_torch(model.rnn)
    ids, lengths = pad_batch(synthetic_sequences("names", 128, vocab_size=30, seed=0))
    ids = ids.cuda()  # lengths stay on the CPU, as packing wants
    with torch.no_grad():
        padded = model(ids, lengths)
        packed = model(ids, lengths, packed=True)
        looped = loop(ids, lengths)
    assert padded.device.type == "cuda"
    torch.testing.assert_close(packed, padded, rtol=0, atol=1e-5)
    torch.testing.assert_close(looped, padded, rtol=0, atol=1e-5)
    torch.testing.assert_close(padded.cpu(), model.cpu()(ids.cpu(), lengths), rtol=0, atol=1e-5)
