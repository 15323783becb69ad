"""Models: the tutorial baseline, the batched classifier, and the fast.ai character models."""
