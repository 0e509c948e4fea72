"""The policy pack by version: 2026.12.1 in force, 2026.11.1 kept as written; the new
fields (area definitions, DSA mapping, boundary examples) are complete and valid."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from auditgraph.tools.case import POLICY_AREAS
from auditgraph.tools.policy_pack import (
    PolicyLibrary,
    PolicyPack,
    PolicyPackError,
    load_pack,
    load_policy_pack,
    version_key,
)
from auditgraph.tools.text_screen import load_lexicon
from tests.conftest import DATA

POLICY = DATA / "policy"
STABLE_FIELDS = {"id", "area", "title", "text", "severity", "action", "keywords"}
AREAS_OF_2026_11_1 = {
    "counterfeit_ip",
    "weapons",
    "drugs",
    "wildlife",
    "hazardous_goods",
    "regulated_health",
    "misleading_claims",
    "off_platform",
    "abusive_pricing",
    "adult",
    "recalled_products",
}


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    """Every bundled version of the pack."""
    return PolicyLibrary(POLICY)


@pytest.fixture(scope="module")
def current(library: PolicyLibrary) -> PolicyPack:
    """The pack in force."""
    return library.current


# ---------------------------------------------------------------- versions


def test_the_newest_pack_is_in_force_and_2026_11_1_is_kept(library: PolicyLibrary) -> None:
    assert library.versions == ["2026.11.1", "2026.12.1"]
    assert library.current.version == "2026.12.1"
    assert library.pack() is library.current
    old = library.pack("2026.11.1")
    assert len(old.clauses) == 61
    assert {c.area for c in old.clauses} == AREAS_OF_2026_11_1
    # As written then: none of the fields 2026.12.1 added.
    assert old.areas == []
    assert all(c.dsa_category is None and not c.dsa_keywords and c.examples is None for c in old.clauses)
    assert load_pack(POLICY, "2026.11.1") == old
    assert load_pack(POLICY).version == "2026.12.1"


def test_every_clause_of_2026_11_1_keeps_its_id_area_and_wording(
    library: PolicyLibrary, current: PolicyPack
) -> None:
    for clause in library.pack("2026.11.1").clauses:
        kept = current.clause(clause.id)
        assert kept is not None, clause.id
        assert kept.model_dump(include=STABLE_FIELDS) == clause.model_dump(include=STABLE_FIELDS)


def test_a_version_not_kept_is_named_with_the_versions_that_are(library: PolicyLibrary) -> None:
    with pytest.raises(PolicyPackError, match=r"no policy pack '2025\.1\.1'.*2026\.11\.1, 2026\.12\.1"):
        library.pack("2025.1.1")


@pytest.mark.parametrize(
    ("older", "newer"), [("2026.11.1", "2026.12.1"), ("2026.9.1", "2026.11.1"), ("2026.12.1", "2027.1.1")]
)
def test_versions_sort_by_their_numbers(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


def _folder(tmp_path: Path, current: str, *archived: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    clause = {"id": "CIP-1", "area": "counterfeit_ip", "title": "t", "text": "x", "severity": "high",
              "action": "reject"}  # fmt: skip
    for name, version in [("pack.yaml", current), *((f"pack-{v}.yaml", v) for v in archived)]:
        pack = {"version": version, "name": "test", "effective": "2026-11-01", "clauses": [clause]}
        (folder / name).write_text(yaml.safe_dump(pack), "utf-8")
    return folder


def test_an_earlier_pack_is_read_only_when_asked_for(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "2.0", "1.0")
    library = PolicyLibrary(folder)
    (folder / "pack-1.0.yaml").write_text("version: [broken", "utf-8")
    assert library.versions == ["1.0", "2.0"]
    with pytest.raises(PolicyPackError, match="cannot load policy pack"):
        library.pack("1.0")


def test_an_earlier_pack_must_hold_the_version_its_name_says(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "2.0", "1.0")
    (folder / "pack-1.0.yaml").rename(folder / "pack-1.5.yaml")
    with pytest.raises(PolicyPackError, match=r"pack-1\.5\.yaml holds version 1\.0, not 1\.5"):
        PolicyLibrary(folder).pack("1.5")


def test_pack_yaml_must_be_the_newest(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"pack.yaml holds 1\.0 but .* has newer \['2\.0'\]"):
        PolicyLibrary(_folder(tmp_path, "1.0", "2.0"))


def test_a_version_kept_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"both hold version 1\.0"):
        PolicyLibrary(_folder(tmp_path, "1.0", "1.0"))


# ---------------------------------------------------------------- what 2026.12.1 adds


def test_every_area_is_defined_once_with_a_paragraph(current: PolicyPack) -> None:
    assert [a.id for a in current.areas] == list(POLICY_AREAS)
    for area in current.areas:
        assert area.title and len(area.definition.split()) >= 25, area.id


def test_every_area_has_four_clauses_and_every_prefix_one_area(current: PolicyPack) -> None:
    areas_by_prefix: dict[str, set[str]] = defaultdict(set)
    clauses_by_area: dict[str, int] = defaultdict(int)
    for c in current.clauses:
        areas_by_prefix[c.id.split("-")[0]].add(c.area)
        clauses_by_area[c.area] += 1
    assert all(len(areas) == 1 for areas in areas_by_prefix.values())
    assert set(clauses_by_area) == set(POLICY_AREAS)
    assert min(clauses_by_area.values()) >= 4


def test_every_clause_maps_to_the_dsa_database_and_shows_its_line(current: PolicyPack) -> None:
    for c in current.clauses:
        assert c.dsa_category is not None and c.dsa_keywords, c.id
        assert c.examples is not None and c.examples.violating and c.examples.allowed, c.id


def test_dsa_values_are_the_databases_own(library: PolicyLibrary, current: PolicyPack) -> None:
    taxonomy = library.taxonomy
    assert taxonomy is not None
    assert taxonomy.problems(current) == []
    assert "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS" in taxonomy.categories
    assert "KEYWORD_PROHIBITED_PRODUCTS" in taxonomy.keywords()


def test_a_dsa_value_the_database_does_not_have_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(POLICY / "dsa_taxonomy.yaml", folder)
    text = (POLICY / "pack.yaml").read_text("utf-8")
    (folder / "pack.yaml").write_text(
        text.replace("dsa_keywords: [KEYWORD_TRADEMARK_INFRINGEMENT]", "dsa_keywords: [KEYWORD_MADE_UP]", 1),
        "utf-8",
    )
    with pytest.raises(PolicyPackError, match="CIP-1: unknown DSA keyword KEYWORD_MADE_UP"):
        PolicyLibrary(folder)


def test_a_clause_without_a_dsa_category_is_refused_once_a_pack_maps_its_clauses(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(POLICY / "dsa_taxonomy.yaml", folder)
    text = (POLICY / "pack.yaml").read_text("utf-8")
    unmapped = text.replace(
        "    dsa_category: STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS\n", "", 1
    )
    assert unmapped != text
    (folder / "pack.yaml").write_text(unmapped, "utf-8")
    with pytest.raises(PolicyPackError, match="CIP-1: no DSA category"):
        PolicyLibrary(folder)


def test_a_clause_in_an_area_the_definitions_leave_out_is_refused(tmp_path: Path) -> None:
    clause = {"id": "WPN-1", "area": "weapons", "title": "t", "text": "x", "severity": "high",
              "action": "reject"}  # fmt: skip
    pack = {"version": "t.1", "name": "t", "effective": "2026-12-01", "clauses": [clause],
            "areas": [{"id": "drugs", "title": "Drugs", "definition": "d"}]}  # fmt: skip
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(pack), "utf-8")
    with pytest.raises(PolicyPackError, match=r"undefined areas \['weapons'\]"):
        load_policy_pack(path)


def test_every_area_has_lexicon_terms_and_each_new_area_a_strong_one(current: PolicyPack) -> None:
    terms = load_lexicon(DATA / "screening" / "lexicon.yaml").terms
    assert {t.area for t in terms} == set(POLICY_AREAS)
    strong = {t.area for t in terms if t.weight >= 0.8}
    assert set(POLICY_AREAS) - AREAS_OF_2026_11_1 <= strong
