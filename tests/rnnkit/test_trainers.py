"""rnnkit.trainers: the epoch that `rnnbench train names` and the train workload both run."""

import pytest

from rnnkit.encoding import ALL_LETTERS, Vocab
from rnnkit.trainers import ClassifierSettings, ClassifierTrainer, TutorialTrainer

LABELS = ["A", "B"]
# Two classes a model can tell apart: names of a's and names of b's, of varied lengths (two
# letters at least: the tutorial's manual step needs a gradient for every weight).
TRAIN = [("a" * n, "A") for n in range(2, 22)] + [("b" * n, "B") for n in range(2, 22)]
TEST = [("aaaa", "A"), ("bbb", "B"), ("aaaaaaa", "A"), ("bb", "B")]


def _classifier(batching: str, seed: int = 0) -> ClassifierTrainer:
    settings = ClassifierSettings(cell="gru", batching=batching, batch_size=8, hidden_size=16,
                                  embed_dim=8, learning_rate=0.05, eval_batch_size=3)
    return ClassifierTrainer(LABELS, TRAIN, TEST, Vocab(ALL_LETTERS), settings, seed)


@pytest.mark.parametrize("batching", ["padded", "packed", "bucketed"])
def test_classifier_epoch_sees_every_name_and_is_seeded(batching):
    first, second = _classifier(batching), _classifier(batching)
    runs = [[trainer.epoch(k) for k in range(3)] for trainer in (first, second)]
    for (stats, evaluation), (again, evaluation_again) in zip(*runs, strict=True):
        assert stats.examples == len(TRAIN)
        assert stats.loss == again.loss
        assert evaluation.accuracy == evaluation_again.accuracy
        assert int(evaluation.confusion.sum()) == len(TEST)
    assert runs[0][-1][0].loss < runs[0][0][0].loss  # it learns


def test_tutorial_epoch_takes_one_step_per_training_name():
    trainer = TutorialTrainer(LABELS, TRAIN, TEST, seed=1, hidden_size=8)
    stats, evaluation = trainer.epoch(0)
    assert stats.examples == len(TRAIN)
    assert int(evaluation.confusion.sum()) == len(TEST)
    again = TutorialTrainer(LABELS, TRAIN, TEST, seed=1, hidden_size=8).epoch(0)[0]
    assert again.loss == stats.loss
