"""Policy retrieval: the clauses of a versioned policy pack that bear on a case.

BM25 (bm25s) over each clause's title, text and keywords, queried with the case's
de-obfuscated text and category. When the planner names policy areas, the top clauses of
those areas are added, so the area a signal points at is always in front of the decider;
each topic it names (what the evidence may show beyond the listing's words, such as
"contact details in listing images" for a listing with photos) adds its best clause.
The pack's schema and its versions live in `tools/policy_pack.py`; its names are importable
from here too.
"""

from __future__ import annotations

from typing import Literal

import bm25s
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from auditgraph.tools.case import PolicyArea, Severity
from auditgraph.tools.evidence import Evidence
from auditgraph.tools.normalize import deobfuscate
from auditgraph.tools.policy_pack import (
    Clause,
    PolicyLibrary,
    PolicyPack,
    PolicyPackError,
    load_pack,
    load_policy_pack,
)

__all__ = [
    "Clause",
    "PolicyIndex",
    "PolicyLibrary",
    "PolicyPack",
    "PolicyPackError",
    "PolicyRetrieval",
    "PolicyRetrievalInput",
    "RetrievedClause",
    "load_pack",
    "load_policy_pack",
    "make_policy_retrieval_tool",
]


class RetrievedClause(BaseModel):
    """A clause as retrieved for one case, with its relevance score."""

    model_config = ConfigDict(frozen=True)

    clause_id: str
    area: PolicyArea
    also_areas: list[PolicyArea] = Field(default_factory=list)
    """Other areas whose conduct the clause governs (see `Clause.also_areas`)."""
    title: str
    text: str
    severity: Severity
    action: Literal["reject", "restrict"]
    version: str
    score: float
    """BM25 score; 0 for a clause added because the planner named it, its area or a topic."""
    keywords: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, clause: Clause, *, version: str, score: float = 0.0) -> RetrievedClause:
        """The clause as retrieved from pack `version` with `score`."""
        return cls(
            clause_id=clause.id,
            area=clause.area,
            also_areas=clause.also_areas,
            title=clause.title,
            text=clause.text,
            severity=clause.severity,
            action=clause.action,
            version=version,
            score=round(score, 4),
            keywords=clause.keywords,
        )

    def covers(self, area: str) -> bool:
        """Whether this clause governs conduct of `area`."""
        return area == self.area or area in self.also_areas


class PolicyRetrievalInput(BaseModel):
    """Arguments of the policy-retrieval tool."""

    query: str = Field(description="Text to match against clauses: the listing's own words.")
    category: str | None = Field(default=None, description="The listing's category.")
    areas: list[PolicyArea] = Field(
        default_factory=list, description="Policy areas that must be covered in the result."
    )
    clause_ids: list[str] = Field(
        default_factory=list,
        description="Clauses that must be included, e.g. those an appeal contests.",
    )
    topics: list[str] = Field(
        default_factory=list,
        max_length=8,
        description=(
            "What the evidence may show beyond the listing's words, e.g. 'contact details in "
            "listing images': the best-matching clause of each is included."
        ),
    )
    k: int = Field(default=8, ge=1, le=30, description="How many clauses to return by score.")


class PolicyRetrieval(Evidence):
    """What the policy-retrieval tool found."""

    tool: Literal["policy_retrieval"] = "policy_retrieval"
    policy_version: str | None = None
    clauses: list[RetrievedClause] = Field(default_factory=list)


class PolicyIndex:
    """A BM25 index over one policy pack; built once, queried per case (~0.1 ms)."""

    def __init__(self, pack: PolicyPack, *, per_area: int = 2) -> None:
        self.pack = pack
        self._per_area = per_area
        corpus = [
            deobfuscate(" ".join([c.title, c.text, c.area.replace("_", " "), *c.keywords]))
            for c in pack.clauses
        ]
        self._tokenizer = bm25s.tokenization.Tokenizer(stopwords="en")
        tokens = self._tokenizer.tokenize(corpus, return_as="ids", show_progress=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokens, show_progress=False)
        self._position = {c.id: i for i, c in enumerate(pack.clauses)}

    def search(self, args: PolicyRetrievalInput) -> PolicyRetrieval:
        """Rank clauses for `args`: BM25 top-k, then the named clauses, the first clauses of
        each named area, and the best clause of each topic (these three at score 0)."""
        query = deobfuscate(" ".join(filter(None, [args.query, args.category])))
        scored = self._bm25_top(query, min(args.k, len(self.pack.clauses)))
        for clause_id in args.clause_ids:
            index = self._position.get(clause_id)
            if index is not None:
                scored.setdefault(index, 0.0)
        for area in args.areas:
            in_area = [i for i, c in enumerate(self.pack.clauses) if c.covers(area)]
            for i in in_area[: self._per_area]:
                scored.setdefault(i, 0.0)
        for topic in args.topics:
            for i in self._bm25_top(deobfuscate(topic), 1):
                scored.setdefault(i, 0.0)
        ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
        return PolicyRetrieval(
            policy_version=self.pack.version,
            clauses=[self._retrieved(i, score) for i, score in ranked],
        )

    def _bm25_top(self, query: str, k: int) -> dict[int, float]:
        """The `k` clauses BM25 scores highest for `query`, by pack position (score > 0 only)."""
        ids = self._tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
        if not ids or not ids[0]:
            return {}
        docs, scores = self._bm25.retrieve(ids, k=k, show_progress=False)
        return {int(d): float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}

    def _retrieved(self, index: int, score: float) -> RetrievedClause:
        return RetrievedClause.of(self.pack.clauses[index], version=self.pack.version, score=score)


def make_policy_retrieval_tool(index: PolicyIndex) -> BaseTool:
    """The policy-retrieval tool as a LangChain tool over `index`."""

    def policy_retrieval(**kwargs: object) -> PolicyRetrieval:
        return index.search(PolicyRetrievalInput.model_validate(kwargs))

    return StructuredTool.from_function(
        policy_retrieval,
        name="policy_retrieval",
        description=(
            "Retrieve the policy clauses that bear on this case, ranked by relevance to the "
            "query (the listing's own words) and category. Name policy areas to make sure "
            "their core clauses are included. Only clauses returned here may be cited."
        ),
        args_schema=PolicyRetrievalInput,
    )
