"""The risk screen learns areas from labelled texts, saves as a hashed artifact and refuses tampering."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from auditgraph.agents.screen import BENIGN, E5Embedder, Example, NoEmbedder, RiskScreen, ScreenError

FIXTURE = Path(__file__).parent / "fixtures" / "screen_examples.yaml"


def _examples() -> list[Example]:
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    return [
        Example(f"{label}-{i}", text, label) for label, texts in data.items() for i, text in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def screen() -> RiskScreen:
    return RiskScreen.fit(_examples(), embedder=NoEmbedder(), version="test-1", folds=3)


def test_it_scores_the_area_a_text_belongs_to_above_the_others(screen: RiskScreen) -> None:
    gun = screen.score("Glock 17 9mm pistol, two magazines, private sale")
    drug = screen.score("molly 2g crystals, stealth shipping")
    mug = screen.score("Ceramic coffee mug, dishwasher safe")
    assert gun.top(1)[0][0] == "firearms" and drug.top(1)[0][0] == "drugs"
    assert mug.violation < gun.violation and mug.violation < drug.violation
    assert set(gun.areas) == {"firearms", "drugs"} and list(gun.areas.values()) == sorted(
        gun.areas.values(), reverse=True
    )
    assert 0.0 <= mug.violation <= 1.0


def test_it_names_the_nearest_labelled_examples(screen: RiskScreen) -> None:
    score = screen.score("Ice cube tray, silicone", neighbours=2)
    assert len(score.neighbours) == 2
    assert score.neighbours[0].id.startswith(BENIGN) and "Ice cube tray" in score.neighbours[0].text
    assert score.neighbours[0].similarity >= score.neighbours[1].similarity


def test_a_saved_screen_loads_with_the_same_scores_and_hash(screen: RiskScreen, tmp_path: Path) -> None:
    digest = screen.save(tmp_path)
    loaded = RiskScreen.load(tmp_path, embedder=NoEmbedder())
    assert loaded.digest == digest and loaded.version == "test-1" and loaded.labels == screen.labels
    text = "AR-15 lower receiver and jig"
    assert loaded.score(text).areas == pytest.approx(screen.score(text).areas)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["sha256"] == digest and manifest["embedder"] == "none"


def test_an_altered_model_file_is_refused(screen: RiskScreen, tmp_path: Path) -> None:
    screen.save(tmp_path)
    model = tmp_path / "screen.skops"
    model.write_bytes(model.read_bytes() + b"\0")
    with pytest.raises(ScreenError, match="does not match its manifest"):
        RiskScreen.load(tmp_path, embedder=NoEmbedder())


def test_another_embedder_is_refused(screen: RiskScreen, tmp_path: Path) -> None:
    screen.save(tmp_path)

    class Other(NoEmbedder):
        name = "other"

    with pytest.raises(ScreenError, match="trained with embedder 'none'"):
        RiskScreen.load(tmp_path, embedder=Other())


def test_a_model_holding_a_foreign_type_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    # A file that would run code of an unexpected module on load.
    sio.dump({"char": Path("x")}, tmp_path / "screen.skops")
    data = (tmp_path / "screen.skops").read_bytes()
    import hashlib

    manifest = {
        "version": "x",
        "embedder": "none",
        "labels": [],
        "sha256": hashlib.sha256(data).hexdigest(),
        "examples": [],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ScreenError, match="holds types a screen never has"):
        RiskScreen.load(tmp_path, embedder=NoEmbedder())


def test_too_few_examples_of_a_label_is_a_clear_error() -> None:
    examples = [*_examples(), Example("x", "a lone hate-symbol patch", "hate")]
    with pytest.raises(ScreenError, match="fewer than 3 examples of hate"):
        RiskScreen.fit(examples, embedder=NoEmbedder(), version="t", folds=3)


def test_the_bundled_embedder_gives_unit_vectors_that_place_slang_near_its_meaning() -> None:
    embedder = E5Embedder()
    vectors = embedder.embed(["cocaine 1g for sale", "coke yayo 3.5 stealth", "ceramic coffee mug"])
    assert vectors.shape == (3, embedder.dim) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
