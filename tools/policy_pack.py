"""The policy pack: its schema, and every version of it kept side by side.

A pack is a versioned list of clauses. Clause ids are stable across versions and never
reused, so a run recorded under an older pack can still quote the clauses it rests on:
the folder that holds `pack.yaml` (the pack in force, the newest) keeps each earlier pack
unchanged as `pack-<version>.yaml`, and `PolicyLibrary` opens any of them by version.

Pack 2026.12.1 added a definition per area, boundary examples per clause and the EU DSA
Transparency Database category and keywords each clause maps to (`dsa_taxonomy.yaml`
beside the packs lists the values allowed). The new fields are optional, so 2026.11.1
loads exactly as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from auditgraph.tools.case import PolicyArea, Severity
from auditgraph.tools.yaml_data import load_model

__all__ = [
    "AreaDefinition",
    "Clause",
    "ClauseExamples",
    "DsaTaxonomy",
    "PolicyLibrary",
    "PolicyPack",
    "PolicyPackError",
    "StatementRules",
    "load_dsa_taxonomy",
    "load_pack",
    "load_policy_pack",
    "version_key",
]

PACK_FILE = "pack.yaml"
"""The pack in force, in a policy folder."""
TAXONOMY_FILE = "dsa_taxonomy.yaml"
"""The DSA categories and keywords a clause may map to, in a policy folder."""
_ARCHIVED = re.compile(r"^pack-(?P<version>[\w.-]+)\.yaml$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClauseExamples(_Frozen):
    """Listing-like lines on either side of a clause's line (policy as prompt)."""

    violating: list[str] = Field(default_factory=list)
    """Listings the clause catches."""
    allowed: list[str] = Field(default_factory=list)
    """Look-alikes the clause does not catch."""


class Clause(_Frozen):
    """One clause of the policy pack."""

    id: str = Field(pattern=r"^[A-Z]{3}-\d+$")
    area: PolicyArea
    also_areas: list[PolicyArea] = Field(default_factory=list)
    """Other areas of the taxonomy whose conduct this clause governs: a clause kept under
    the area it was first written for (its id never changes) while a later, finer area
    took over its subject (ammunition under weapons, for the firearms area)."""
    title: str
    text: str
    severity: Severity
    action: Literal["reject", "restrict"]
    """What a violation of this clause leads to."""
    keywords: list[str] = Field(default_factory=list)
    dsa_category: str | None = Field(default=None, pattern=r"^STATEMENT_CATEGORY_[A-Z_]+$")
    """The DSA statement-of-reasons category a decision on this clause is filed under."""
    dsa_keywords: list[str] = Field(default_factory=list)
    """The DSA `category_specification` keywords that further describe it."""
    examples: ClauseExamples | None = None

    def covers(self, area: str) -> bool:
        """Whether this clause governs conduct of `area`."""
        return area == self.area or area in self.also_areas


class AreaDefinition(_Frozen):
    """What one policy area covers."""

    id: PolicyArea
    title: str
    definition: str


class PolicyPack(_Frozen):
    """A versioned set of clauses, with the areas they belong to."""

    version: str
    name: str
    effective: date
    areas: list[AreaDefinition] = Field(default_factory=list)
    """Each area's definition (from 2026.12.1 on; empty in earlier packs)."""
    clauses: list[Clause] = Field(min_length=1)

    def clause(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        return next((c for c in self.clauses if c.id == clause_id), None)

    def area(self, area: str) -> AreaDefinition | None:
        """The definition of `area`, or None."""
        return next((a for a in self.areas if a.id == area), None)


class PolicyPackError(ValueError):
    """A policy pack file (or version) that cannot be used."""


class _DsaCategory(_Frozen):
    label: str
    keywords: dict[str, str] = Field(default_factory=dict)
    """The keywords the Transparency Database lists under this category, with their labels."""


class StatementRules(_Frozen):
    """How a statement of reasons fills the fields that depend on the decision and on why
    the case was opened (the `statements` section of `dsa_taxonomy.yaml`)."""

    visibility: dict[Literal["reject", "restrict"], str]
    """Decision -> `decision_visibility` value."""
    source_types: dict[str, str]
    """Why the case was opened (signal source, or `ip_report` / `seller_appeal`) -> `source_type`."""
    automated_detection: list[str] = Field(default_factory=list)
    """The sources that are automated means of detection."""
    illegal_content: list[str] = Field(default_factory=list)
    """The sources that assert illegal content rather than a breach of the terms."""


class DsaTaxonomy(_Frozen):
    """The statement-of-reasons categories and keywords of the DSA Transparency Database."""

    schema_version: str
    sources: list[str] = Field(min_length=1)
    categories: dict[str, _DsaCategory] = Field(min_length=1)
    other_keyword: str = "KEYWORD_OTHER"
    """The keyword any category may take when no other fits."""
    statements: StatementRules | None = None
    """How statements of reasons fill their decision and source fields."""

    def keywords(self) -> set[str]:
        """Every keyword the database accepts."""
        return {k for c in self.categories.values() for k in c.keywords} | {self.other_keyword}

    def problems(self, pack: PolicyPack) -> list[str]:
        """Clauses of `pack` whose DSA category or keywords the database does not accept,
        and, in a pack that maps its clauses at all (2026.12.1 on), clauses left unmapped:
        a statement of reasons takes its category from the clauses a decision cites."""
        known = self.keywords()
        maps = any(c.dsa_category is not None for c in pack.clauses)
        found = [f"{c.id}: no DSA category" for c in pack.clauses if maps and c.dsa_category is None]
        for c in pack.clauses:
            if c.dsa_category is not None and c.dsa_category not in self.categories:
                found.append(f"{c.id}: unknown DSA category {c.dsa_category}")
            found += [f"{c.id}: unknown DSA keyword {k}" for k in c.dsa_keywords if k not in known]
        return found


def load_dsa_taxonomy(path: Path) -> DsaTaxonomy:
    """Read and validate the DSA taxonomy YAML file.

    Raises:
        PolicyPackError: the file is missing, not YAML, or breaks the schema.
    """
    return load_model(path, DsaTaxonomy, PolicyPackError, "DSA taxonomy")


def load_policy_pack(path: Path) -> PolicyPack:
    """Read and validate a policy pack YAML file.

    Raises:
        PolicyPackError: the file is missing, not YAML, or breaks the schema
            (including duplicate clause ids, and clauses of an area the pack's
            definitions leave out).
    """
    pack = load_model(path, PolicyPack, PolicyPackError, "policy pack")
    ids = [c.id for c in pack.clauses]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise PolicyPackError(f"policy pack {str(path)!r} repeats clause ids {duplicates}")
    defined = [a.id for a in pack.areas]
    if len(defined) != len(set(defined)):
        raise PolicyPackError(f"policy pack {str(path)!r} defines an area twice")
    undefined = sorted({c.area for c in pack.clauses} - set(defined)) if defined else []
    if undefined:
        raise PolicyPackError(f"policy pack {str(path)!r} has clauses in undefined areas {undefined}")
    return pack


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key for pack versions: "2026.12.1" after "2026.11.1", numbers as numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


class PolicyLibrary:
    """Every version of the policy pack in one folder, the newest being the pack in force.

    `pack.yaml` is read at once; an earlier pack (`pack-<version>.yaml`) is read the first
    time it is asked for, which is when an older run is reviewed or explained.
    """

    def __init__(self, folder: Path, *, load: Callable[[Path], PolicyPack] = load_policy_pack) -> None:
        self.folder = folder
        self._load = load
        taxonomy = folder / TAXONOMY_FILE
        self.taxonomy = load_dsa_taxonomy(taxonomy) if taxonomy.is_file() else None
        self.current = self._checked(load(folder / PACK_FILE))
        self._archived = {
            m["version"]: folder / m.group(0)
            for path in folder.glob("pack-*.yaml")
            if (m := _ARCHIVED.match(path.name))
        }
        if self.current.version in self._archived:
            raise PolicyPackError(
                f"{PACK_FILE} and {self._archived[self.current.version].name} both hold version "
                f"{self.current.version} in {str(folder)!r}"
            )
        newer = [v for v in self._archived if version_key(v) > version_key(self.current.version)]
        if newer:
            raise PolicyPackError(
                f"{PACK_FILE} holds {self.current.version} but {str(folder)!r} has newer "
                f"{sorted(newer, key=version_key)}: the newest pack must be {PACK_FILE}"
            )
        self._opened: dict[str, PolicyPack] = {self.current.version: self.current}

    @property
    def versions(self) -> list[str]:
        """Every version in the folder, oldest first."""
        return sorted([*self._archived, self.current.version], key=version_key)

    def pack(self, version: str | None = None) -> PolicyPack:
        """The pack of `version`; the pack in force when it is None.

        Raises:
            PolicyPackError: no pack of that version is kept here, or its file is broken
                or holds another version.
        """
        if version is None:
            return self.current
        opened = self._opened.get(version)
        if opened is not None:
            return opened
        path = self._archived.get(version)
        if path is None:
            raise PolicyPackError(
                f"no policy pack {version!r} in {str(self.folder)!r}; it has {', '.join(self.versions)}"
            )
        pack = self._checked(self._load(path))
        if pack.version != version:
            raise PolicyPackError(f"{path.name} holds version {pack.version}, not {version}")
        self._opened[version] = pack
        return pack

    def _checked(self, pack: PolicyPack) -> PolicyPack:
        problems = self.taxonomy.problems(pack) if self.taxonomy is not None else []
        if problems:
            raise PolicyPackError(f"policy pack {pack.version}: {'; '.join(problems[:5])}")
        return pack


def load_pack(folder: Path, version: str | None = None) -> PolicyPack:
    """The pack of `version` kept in `folder`; the newest when it is None."""
    return PolicyLibrary(folder).pack(version)
