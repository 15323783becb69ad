"""rnnkit: a small library for character-level RNNs over variable-length sequences.

encoding    characters <-> ids, the tutorial's ASCII folding, one-hot vectors
data/       the names and text corpora, and synthetic sequences from named length distributions
batching    padding, packing, length-bucketed batch sampling, padding efficiency
cells       hand-written RNN/GRU/LSTM cells and a masked loop over time (checked against torch)
models/     the tutorial's RNN, the batched CharClassifier, the fast.ai character models
training    seeded training loops and held-out evaluation
"""
