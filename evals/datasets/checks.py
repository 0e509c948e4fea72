"""What the generator checks: the JSON Schema of a dataset line, the label rules, coverage."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from auditgraph.evals.datasets.reference import REF, Json
from auditgraph.evals.datasets.sources import line_template, vocabulary
from auditgraph.tools.case import POLICY_AREAS, CaseError, parse_case


def line_schema() -> Json:
    """The JSON Schema (draft 2020-12) of one dataset line: sources/line_schema.yaml with the
    policy areas and the pack's clause ids filled in, so that its enums always match them."""
    schema = copy.deepcopy(line_template())
    schema["$defs"]["area"]["enum"] = list(POLICY_AREAS)
    schema["$defs"]["clause_id"]["enum"] = sorted(
        REF.clauses, key=lambda c: (c.split("-")[0], int(c.split("-")[1]))
    )
    return schema


def semantic_errors(line: Json) -> list[str]:
    """Checks the schema cannot express: references into the bundled data and label rules."""
    errors: list[str] = []
    case, expected, meta = line["input"], line["expected"], line["metadata"]
    listing = case["listing"]
    tags = set(meta["tags"])
    clauses = expected["clause_ids"]
    if any(c not in REF.clauses for c in clauses):
        return [f"unknown clause in {clauses}"]
    if expected["decision"] in ("reject", "restrict"):
        action = REF.action(clauses)
        if action != expected["decision"]:
            errors.append(f"decision {expected['decision']} but the clauses' strongest action is {action}")
    if expected["area"] is not None and any(REF.clauses[c].area != expected["area"] for c in clauses[:1]):
        errors.append("the first clause is outside the expected area")
    if clauses and meta["severity"] != REF.severity(clauses):
        errors.append(f"severity {meta['severity']} is not the clauses' highest ({REF.severity(clauses)})")
    if meta["kind"] != case["kind"] or meta["category"] != listing["category"]:
        errors.append("metadata kind/category do not match the input")
    if meta["area"] != (expected["area"] or "benign"):
        errors.append("metadata.area must be expected.area, or benign when it is null")
    seller = REF.sellers.get(listing["seller_id"])
    if seller is None and "unknown_seller" not in tags:
        errors.append(f"seller {listing['seller_id']} is not in data/sellers.json")
    if seller is not None and "unknown_seller" in tags:
        errors.append("tagged unknown_seller but the seller exists")
    if listing.get("brand") and listing["brand"] not in REF.brands:
        errors.append(f"brand {listing['brand']} is not in data/brands.yaml")
    for image in listing.get("images", []):
        exists = (REF.image_dir / image).is_file()
        if image in REF.listing_images:
            continue
        if image.startswith("broken/") and exists and "unreadable_image" in tags:
            continue
        if not exists and tags & {"missing_image"}:
            continue
        errors.append(f"image {image} is not a manifest listing image")
    if expected["decision"] == "approve":
        for image in listing.get("images", []):
            bank = REF.bank_entry(image)
            verified = seller is not None and bank is not None and bank["brand"] in seller["verified_brands"]
            if bank is not None and not verified:
                errors.append(f"approved although {image} is a near-duplicate of {bank['file']}")
            if image == "listings/phone_number_flyer.png":
                errors.append("approved with contact details in an image")
    if "contact_in_image" in tags and "listings/phone_number_flyer.png" not in listing.get("images", []):
        errors.append("tagged contact_in_image without the flyer image")
    received = datetime.fromisoformat(case["received_at"].replace("Z", "+00:00"))
    if received.utcoffset() is None or (received.year, received.month) != (2026, 11):
        errors.append("received_at must be a timezone-aware time in November 2026")
    if seller is not None and received.date().isoformat() < seller["joined_on"]:
        errors.append("received before the seller joined")
    if "original_decision" in case:
        decided = datetime.fromisoformat(case["original_decision"]["decided_at"].replace("Z", "+00:00"))
        if not decided < received or (decided.year, decided.month) != (2026, 11):
            errors.append("original_decision.decided_at must be in November 2026, before received_at")
        if seller is not None and decided.date().isoformat() < seller["joined_on"]:
            errors.append("original decision before the seller joined")
    return errors


def check_file(path: Path, validator: Any) -> tuple[list[Json], list[str]]:
    """Every line of a dataset file and what is wrong with each (schema, case, ids, labels)."""
    lines: list[Json] = []
    errors: list[str] = []
    ids: set[str] = set()
    listing_ids: set[str] = set()
    for n, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        where = f"{path.name}:{n}"
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON ({exc})")
            continue
        errors += [f"{where}: schema: {e.message}" for e in validator.iter_errors(line)]
        if not isinstance(line, dict) or "input" not in line:
            continue
        try:
            parse_case(line["input"])
        except CaseError as exc:
            errors.append(f"{where}: {exc}")
        if line.get("id") in ids:
            errors.append(f"{where}: duplicate id {line.get('id')}")
        ids.add(line.get("id", ""))
        listing_id = line["input"].get("listing", {}).get("listing_id")
        if listing_id in listing_ids:
            errors.append(f"{where}: duplicate listing_id {listing_id}")
        listing_ids.add(listing_id)
        if line["input"].get("case_id") != line.get("id"):
            errors.append(f"{where}: case_id must equal id")
        if not errors or not errors[-1].startswith(f"{where}: schema"):
            try:
                errors += [f"{where}: {e}" for e in semantic_errors(line)]
            except (KeyError, TypeError) as exc:
                errors.append(f"{where}: malformed line ({exc!r})")
        lines.append(line)
    return lines, errors


def print_counts(name: str, lines: Sequence[Json], path: Path) -> None:
    """Print how the lines of one file spread over decisions, areas, kinds, tags and severity."""

    def show(title: str, counter: Counter[str]) -> None:
        items = ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
        print(f"  {title}: {items}")

    total = len(lines)
    decisions = Counter(line["expected"]["decision"] for line in lines)
    print(f"{name}: {total} cases, {path.stat().st_size:,} bytes")
    show("decision", decisions)
    violating = decisions["reject"] + decisions["restrict"]
    if total:
        print(
            f"  share: violating {violating / total:.0%}, approve {decisions['approve'] / total:.0%}, "
            f"escalate {decisions['escalate'] / total:.0%}"
        )
    show("area", Counter(line["metadata"]["area"] for line in lines))
    show("kind", Counter(line["metadata"]["kind"] for line in lines))
    show("tag", Counter(t for line in lines for t in line["metadata"]["tags"]))
    show("severity", Counter(line["metadata"]["severity"] for line in lines))
    languages = Counter(line["metadata"]["language"] for line in lines if "language" in line["metadata"])
    if languages:
        show("language", languages)
    clauses = Counter(c for line in lines for c in line["expected"]["clause_ids"])
    print(f"  clauses cited: {len(clauses)} distinct of {len(REF.clauses)}")


def coverage_errors(core: Sequence[Json], core_areas: Sequence[str]) -> list[str]:
    """What the core suite promises and lacks: a violating case in every area it was written
    for (`core_areas`, sources/vocabulary.yaml), every kind, 300 cases."""
    errors = []
    unknown = sorted(set(core_areas) - set(POLICY_AREAS))
    if unknown:
        errors.append(f"vocabulary.yaml: core_areas names unknown areas {', '.join(unknown)}")
    areas = {
        line["expected"]["area"] for line in core if line["expected"]["decision"] in ("reject", "restrict")
    }
    missing = sorted(set(core_areas) - areas)
    if missing:
        errors.append(f"core.jsonl: no violating case for {', '.join(missing)}")
    kinds = {line["input"]["kind"] for line in core}
    if kinds != set(vocabulary().kinds):
        errors.append("core.jsonl: not every case kind is covered")
    if len(core) < 300:
        errors.append(f"core.jsonl: {len(core)} cases, at least 300 required")
    return errors


GENERAL_MIN_PER_AREA = 4
"""The general suite enforces (rejects or restricts) at least this many cases of every area."""


def general_coverage_errors(general: Sequence[Json]) -> list[str]:
    """What the general suite promises and lacks: at least GENERAL_MIN_PER_AREA violating cases
    in every policy area of the pack, every kind and every outcome."""
    errors = []
    areas = Counter(
        line["expected"]["area"] for line in general if line["expected"]["decision"] in ("reject", "restrict")
    )
    short = [f"{a} ({areas[a]})" for a in POLICY_AREAS if areas[a] < GENERAL_MIN_PER_AREA]
    if short:
        errors.append(
            f"general.jsonl: fewer than {GENERAL_MIN_PER_AREA} violating cases for {', '.join(short)}"
        )
    if {line["input"]["kind"] for line in general} != set(vocabulary().kinds):
        errors.append("general.jsonl: not every case kind is covered")
    if {line["expected"]["decision"] for line in general} != set(vocabulary().decisions):
        errors.append("general.jsonl: not every decision is covered")
    if any("language" not in line["metadata"] for line in general):
        errors.append("general.jsonl: every case must record its language")
    return errors
