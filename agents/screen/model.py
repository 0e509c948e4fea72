"""The risk screen's model: n-gram and embedding features, a calibrated linear classifier.

One multinomial logistic regression over "benign" and every policy area. Its chance
that a text violates anything (1 - P(benign)) is calibrated by a sigmoid fitted on
out-of-fold predictions, folded by group (a template, a review), so the probability
says how often texts unlike any seen in training turn out violating; the areas share
that probability in proportion to the regression's own. Features are
character n-grams (which survive misspellings, leet and other languages), word n-grams,
and sentence embeddings from a pluggable `Embedder`.

The trained screen is saved with skops, which loads only the types it is told to trust
(never pickle), beside a JSON manifest with its version, embedder, labels and the sha256
of the model file; `load` refuses a file whose hash does not match.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from auditgraph.agents.screen.embedder import Embedder
from auditgraph.tools.risk_screen import NEIGHBOUR_EXCERPT

__all__ = ["BENIGN", "Example", "Neighbour", "RiskScreen", "ScreenError", "ScreenScore"]

BENIGN: Final = "benign"
MODEL_FILE: Final = "screen.skops"
MANIFEST_FILE: Final = "manifest.json"
_EMBEDDING_WEIGHT: Final = 2.0
"""Scales the unit-length embedding against the (also unit-length) n-gram blocks."""
_CHAR_FEATURES: Final = 40_000
_WORD_FEATURES: Final = 15_000
"""Feature caps: the model holds one weight per feature and label, so they bound its size."""
_TRUSTED_PREFIXES: Final = ("sklearn.", "numpy.", "scipy.sparse.")


class ScreenError(RuntimeError):
    """A screen that cannot be trained, saved or loaded; the message says why."""


@dataclass(frozen=True)
class Example:
    """One labelled text: `label` is a policy area, or BENIGN."""

    id: str
    text: str
    label: str
    group: str = ""
    """Examples of one group (a template, a review) are kept on one side of a split."""


@dataclass(frozen=True)
class Neighbour:
    """A labelled training example close to the scored text (cosine similarity)."""

    id: str
    label: str
    similarity: float
    text: str


@dataclass(frozen=True)
class ScreenScore:
    """What the screen says about one text."""

    violation: float
    """The probability that the text violates any area (1 - P(benign))."""
    areas: dict[str, float]
    """Per area, its probability, highest first."""
    neighbours: list[Neighbour]

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The `n` most likely areas and their probabilities."""
        return list(self.areas.items())[:n]


class RiskScreen:
    """A trained screen; build one with `fit` or `load`."""

    def __init__(
        self,
        *,
        version: str,
        embedder: Embedder,
        char: TfidfVectorizer,
        word: TfidfVectorizer,
        classifier: LogisticRegression,
        calibrator: LogisticRegression,
        memory: np.ndarray,
        memory_meta: list[tuple[str, str, str]],
    ) -> None:
        self.version = version
        self.embedder = embedder
        self._char = char
        self._word = word
        self._classifier = classifier
        self._calibrator = calibrator
        self.labels: list[str] = [str(c) for c in classifier.classes_]
        self._memory = memory
        self._memory_meta = memory_meta
        self.digest = ""
        """sha256 of the saved model file; set by `save` and `load`."""
        self.metadata: dict[str, Any] = {}
        """What the manifest keeps beside the model: thresholds, figures, training data."""

    @classmethod
    def fit(
        cls, examples: Sequence[Example], *, embedder: Embedder, version: str, folds: int = 5, seed: int = 7
    ) -> RiskScreen:
        """Train on `examples` (at least `folds` of each label).

        Raises:
            ScreenError: too few examples of a label to calibrate it, or no benign ones.
        """
        counts: dict[str, int] = {}
        for example in examples:
            counts[example.label] = counts.get(example.label, 0) + 1
        if BENIGN not in counts:
            raise ScreenError("the screen needs benign examples to learn what passes")
        thin = sorted(label for label, n in counts.items() if n < folds)
        if thin:
            raise ScreenError(f"fewer than {folds} examples of {', '.join(thin)}: too few to calibrate")
        if len({e.group or e.id for e in examples}) < folds:
            raise ScreenError(f"fewer than {folds} groups of examples: too few to calibrate out of fold")
        texts = [e.text for e in examples]
        char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=_CHAR_FEATURES
        )
        word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=_WORD_FEATURES)
        embeddings = embedder.embed(texts)
        features = _stack(char.fit_transform(texts), word.fit_transform(texts), embeddings)
        labels = np.array([e.label for e in examples])
        groups = np.array([e.group or e.id for e in examples])
        classifier = _classifier(seed).fit(features, labels)
        # Half the size on disk, and no change a probability would show.
        classifier.coef_ = classifier.coef_.astype(np.float32)
        for vectorizer in (char, word):
            # Every n-gram cut by the caps: large, and only kept for inspection.
            vectorizer.stop_words_ = None
            # Plain ints: skops would keep each numpy integer as a file of its own.
            vectorizer.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        # Out-of-fold chances, each fold's groups unseen by its model, to calibrate against.
        raw = np.zeros(len(examples))
        for train, held in GroupKFold(n_splits=min(folds, len(set(groups)))).split(features, labels, groups):
            fold = _classifier(seed).fit(features[train], labels[train])
            column = list(fold.classes_).index(BENIGN) if BENIGN in fold.classes_ else None
            raw[held] = 1.0 - (fold.predict_proba(features[held])[:, column] if column is not None else 0.0)
        calibrator = LogisticRegression(C=1e4).fit(_logit(raw), labels != BENIGN)
        # Neighbours by embedding, or by character n-grams (rows are unit length) without one.
        memory = (
            embeddings.astype(np.float16) if embeddings.shape[1] else char.transform(texts).astype(np.float32)
        )
        return cls(
            version=version,
            embedder=embedder,
            char=char,
            word=word,
            classifier=classifier,
            calibrator=calibrator,
            memory=memory,
            memory_meta=[(e.id, e.label, e.text[:NEIGHBOUR_EXCERPT]) for e in examples],
        )

    def score(self, text: str, *, neighbours: int = 3) -> ScreenScore:
        """Score one text: per-area probabilities and the nearest labelled examples."""
        return self.score_many([text], neighbours=neighbours)[0]

    def score_many(self, texts: Sequence[str], *, neighbours: int = 3) -> list[ScreenScore]:
        """`score` for several texts at once (one embedding batch)."""
        embeddings = self.embedder.embed(texts)
        char = self._char.transform(texts)
        features = _stack(char, self._word.transform(texts), embeddings)
        probabilities = self._classifier.predict_proba(features)
        benign = self.labels.index(BENIGN)
        violation = self._calibrator.predict_proba(_logit(1.0 - probabilities[:, benign]))[:, 1]
        # Every text against every training example: only when neighbours are asked for.
        similarity = (
            _similarity(embeddings if embeddings.shape[1] else char, self._memory)
            if neighbours
            else np.zeros((len(texts), 0))
        )
        scores = []
        for row, chance, sims in zip(probabilities, violation, similarity, strict=True):
            share = max(1e-12, 1.0 - float(row[benign]))
            areas = {
                self.labels[i]: float(p) / share * float(chance) for i, p in enumerate(row) if i != benign
            }
            nearest = np.argsort(-sims)[:neighbours]
            scores.append(
                ScreenScore(
                    violation=float(chance),
                    areas=dict(sorted(areas.items(), key=lambda item: -item[1])),
                    neighbours=[
                        Neighbour(*self._memory_meta[i][:2], float(sims[i]), self._memory_meta[i][2])
                        for i in nearest
                    ],
                )
            )
        return scores

    def save(self, folder: Path, *, metadata: dict[str, Any] | None = None) -> str:
        """Write the model and its manifest into `folder`; returns the model file's sha256.

        `metadata` (thresholds, figures, what it was trained on) is kept in the manifest
        and comes back as `self.metadata` on `load`.
        """
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        state = {
            "char": self._char,
            "word": self._word,
            "classifier": self._classifier,
            "calibrator": self._calibrator,
            "memory": self._memory,
        }
        path = folder / MODEL_FILE
        sio.dump(state, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if metadata is not None:
            self.metadata = metadata
        manifest = {
            "version": self.version,
            "embedder": self.embedder.name,
            "labels": self.labels,
            "sha256": self.digest,
            "metadata": self.metadata if metadata is None else metadata,
            "examples": [list(meta) for meta in self._memory_meta],
        }
        (folder / MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
        return self.digest

    @classmethod
    def load(cls, folder: Path, *, embedder: Embedder) -> RiskScreen:
        """Open a saved screen; the embedder must be the one it was trained with.

        Raises:
            ScreenError: a missing or altered file, an unexpected type inside it, or
                another embedder.
        """
        import skops.io as sio
        from skops.io.exceptions import UntrustedTypesFoundException

        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
            data = (folder / MODEL_FILE).read_bytes()
        except (OSError, ValueError) as exc:
            raise ScreenError(f"no readable screen in {folder}: {exc}") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != manifest.get("sha256"):
            raise ScreenError(f"{folder / MODEL_FILE} does not match its manifest's sha256: refusing it")
        if manifest.get("embedder") != embedder.name:
            raise ScreenError(
                f"screen {manifest.get('version')} was trained with embedder {manifest.get('embedder')!r}, "
                f"not {embedder.name!r}"
            )
        try:
            # A screen `save` wrote holds only types skops trusts by default: one pass over
            # the file (listing the untrusted types first walks all of it a second time,
            # ~1.5 s of every process start). skops checks every type before it builds any.
            state: dict[str, Any] = sio.loads(data)
        except UntrustedTypesFoundException:
            untrusted = sio.get_untrusted_types(data=data)
            foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
            if foreign:
                raise ScreenError(
                    f"{folder / MODEL_FILE} holds types a screen never has: {', '.join(foreign[:3])}"
                ) from None
            state = sio.loads(data, trusted=untrusted)
        screen = cls(
            version=manifest["version"],
            embedder=embedder,
            char=state["char"],
            word=state["word"],
            classifier=state["classifier"],
            calibrator=state["calibrator"],
            memory=state["memory"],
            memory_meta=[tuple(meta) for meta in manifest["examples"]],  # type: ignore[misc]
        )
        screen.digest = digest
        screen.metadata = manifest.get("metadata") or {}
        return screen


def _classifier(seed: int) -> LogisticRegression:
    return LogisticRegression(C=8.0, max_iter=2_000, class_weight="balanced", random_state=seed)


def _logit(chance: np.ndarray) -> np.ndarray:
    clipped = np.clip(chance, 1e-6, 1 - 1e-6)
    return np.log(clipped / (1 - clipped)).reshape(-1, 1)


def _stack(char: sparse.spmatrix, word: sparse.spmatrix, embeddings: np.ndarray) -> sparse.csr_matrix:
    blocks = [char, word]
    if embeddings.shape[1]:
        blocks.append(sparse.csr_matrix(embeddings * _EMBEDDING_WEIGHT))
    return sparse.hstack(blocks, format="csr")


def _similarity(query: Any, memory: Any) -> np.ndarray:
    if isinstance(memory, np.ndarray):
        return np.asarray(query, dtype=np.float32) @ memory.astype(np.float32).T
    return np.asarray((query @ memory.T).todense())
