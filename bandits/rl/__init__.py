"""RL as sampling: policy-gradient learners on multi-question instances (R3, claim C4; docs/theory.md section 5).

>>> from bandits import rl
>>> qs = rl.transfer(X=40, K=200, m=16, seed=0)
>>> grpo = rl.train(qs, bonus="none", steps=2000, runs=20)
>>> base = rl.sample_base(qs, steps=2000, runs=20)
"""

from .learner import BONUSES, METRICS, PARAMS, PASS_KS, LearnerResult, sample_base, train
from .questions import GENERATORS, Questions, from_arrays, transfer

__all__ = ["Questions", "transfer", "from_arrays", "GENERATORS", "train", "sample_base", "LearnerResult",
           "BONUSES", "PARAMS", "METRICS", "PASS_KS"]
