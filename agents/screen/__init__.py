"""The learned risk screen: per policy area, a calibrated probability that a listing violates it.

`RiskScreen.fit` trains it from labelled texts; `RiskScreen.score` scores one case's text
and names the nearest labelled examples; `save` and `load` keep it as a versioned,
content-hashed artifact that loads without pickle.
"""

from auditgraph.agents.screen.corpus import case_text, load_corpus, review_examples
from auditgraph.agents.screen.embedder import E5Embedder, Embedder, NoEmbedder
from auditgraph.agents.screen.model import (
    BENIGN,
    Example,
    Neighbour,
    RiskScreen,
    ScreenError,
    ScreenScore,
)
from auditgraph.agents.screen.scorer import ScreenScorer, clear_screen_cache, load_screen

__all__ = [
    "BENIGN",
    "E5Embedder",
    "Embedder",
    "Example",
    "Neighbour",
    "NoEmbedder",
    "RiskScreen",
    "ScreenError",
    "ScreenScore",
    "ScreenScorer",
    "case_text",
    "clear_screen_cache",
    "load_corpus",
    "load_screen",
    "review_examples",
]
