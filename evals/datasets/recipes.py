"""Follow the family recipes of sources/families/*.yaml to make the core cases.

A recipe is data and this module only reads it (README.md, "Recipes"). A text is a template
(``"{brand} {item}"``; ``{word!c}`` capitalises); ``"$brands.{brand}.items"`` is the value of
a name; a mapping keyed by one of CHOICES is drawn when it is used; any other mapping is a
record whose fields are worked out where they are used.

One random.Random(7) makes every draw, so their order is what keeps core.jsonl
byte-identical: the ``let`` names as written (the family's, its scenario's, then its
shape's), the listing's fields in LISTING_ORDER, the listing id, ``after_listing``, then the
signal, appeal or report; after every family, the shuffle and the dates.
"""

from __future__ import annotations

import ast
import operator
import random
import re
import string
from collections import ChainMap
from collections.abc import Callable, Container, MutableMapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any, Final

from auditgraph.evals.datasets.lines import Row, make_line
from auditgraph.evals.datasets.reference import REF, Json
from auditgraph.evals.datasets.sources import Family, Sources, fail, vocabulary

SEED: Final = 7
CHOICES: Final = {
    "pick": {"pick"}, "cycle": {"cycle", "index"}, "text": {"text"}, "number": {"number"},
    "chance": {"chance", "then", "else"}, "if": {"if", "then", "else"},
    "price": {"price", "currency"}, "brand_price": {"brand_price", "brand", "currency"},
    "from": {"from", "except"}, "offender": {"offender", "except"},
    "side_view": {"side_view"}, "unknown_seller": {"unknown_seller"},
}  # fmt: skip
"""Each choice and the keys it takes; a mapping with any other key is a record."""
LISTING_ORDER: Final = ("seller", "title", "description", "price", "category", "brand", "images", "currency")
TIMEZONES: Final = tuple(timezone(timedelta(hours=h)) for h in (0, 0, 1, -5, 8))  # UTC twice as often
_DOTS: Final = re.compile(r"\.(?![^{]*\})")  # the dots of a path, not those inside {...}
_ARITH: Final[dict[type[ast.operator], Callable[[int, int], int]]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}  # fmt: skip

Ctx = MutableMapping[str, Any]


class RecipeError(Exception):
    """A recipe that cannot be followed; the caller adds the family, file and line."""


def _choice(spec: dict[str, Any]) -> str | None:
    names = [key for key in spec if key in CHOICES]
    return names[0] if len(names) == 1 and set(spec) <= CHOICES[names[0]] else None


def _index(expr: str, i: int) -> int:
    """Work out an index such as ``i * 3 + 1`` (whole numbers, i, + - * // %) without eval."""

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id == "i":
            return i
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return _ARITH[type(node.op)](walk(node.left), walk(node.right))
        raise RecipeError(f"index {expr!r}: only whole numbers, i, +, -, *, // and % are allowed")

    return walk(ast.parse(expr, mode="eval").body)


def _merge(base: Json, over: Json, *, over_lets_first: bool) -> Json:
    """`over` on top of `base`; listings merge field by field, and both lets are kept."""
    merged = {**base, **over, "listing": {**base.get("listing", {}), **over.get("listing", {})}}
    first, then = (over, base) if over_lets_first else (base, over)
    merged["let"] = {**first.get("let", {}), **then.get("let", {}), **over.get("let", {})}
    return merged


class _Formatter(string.Formatter):
    """str.format whose fields are paths of the recipe's names, with ``!c`` to capitalise."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        cases, ctx = kwargs
        value = cases.ev(cases.lookup(field_name, ctx), ctx)
        if value is None:
            raise RecipeError(f"{{{field_name}}} has no value")
        return value, field_name

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return str(value).capitalize() if conversion == "c" else super().convert_field(value, conversion)


_FORMAT: Final = _Formatter()


def _is_ref(spec: Any) -> bool:
    return isinstance(spec, str) and spec.startswith("$") and not spec.startswith("$$")


class Cases:
    """Makes core cases from recipes, drawing from one random.Random(seed)."""

    def __init__(self, seed: int, sources: Sources) -> None:
        self.rng = random.Random(seed)
        self._taken: set[str] = set()
        items = sources.brand_items
        if unknown := sorted(items.keys() - REF.brands.keys()):
            raise fail(sources.root / "brand_items.yaml", ["brands", unknown[0]], "not in data/brands.yaml")
        pools = REF.seller_pools()
        self.names: Json = {
            **sources.vocabulary,
            **pools,
            "brands": {name: {**data, **items.get(name, {})} for name, data in REF.brands.items()},
            "brand_names": list(items),
            "logo_brands": [b for b, entry in items.items() if entry.get("logo_image")],
            "resellers": {b: REF.resellers_of(b) for b in REF.brands},
            "verified_pairs": [
                {"brand": b, "seller": s}
                for b, entry in items.items()
                if entry["image"]
                for s in REF.resellers_of(b)
            ],
            "recalls": REF.recalls,
            "benign_items": sources.benign["items"],
            "benign_prices": sources.benign["prices"],
            "lookalikes": sources.lookalikes,
        }
        self.offender_mix = [(m["below"], pools[m["pool"]]) for m in sources.vocabulary["offender_mix"]]

    def lookup(self, path: str, ctx: Ctx) -> Any:
        """The value at a path such as ``brands.{brand}.items``; None for a missing field."""
        head, *rest = _DOTS.split(path)
        if head not in ctx:
            raise RecipeError(f"unknown name {head!r} (in {path!r})")
        value = ctx[head]
        for part in rest:
            if not isinstance(value, dict):
                raise RecipeError(f"{path!r}: {part!r} looked up in a {type(value).__name__}")
            value = value.get(_FORMAT.vformat(part, (), (self, ctx)))
        return value

    def ev(self, spec: Any, ctx: Ctx) -> Any:
        """The value of a spec: templates filled in, names followed, choices drawn."""
        if isinstance(spec, str):
            if _is_ref(spec):
                return self.ev(self.lookup(spec[1:], ctx), ctx)
            return _FORMAT.vformat(spec[1:] if spec.startswith("$$") else spec, (), (self, ctx))
        if isinstance(spec, list):
            out: list[Any] = []
            for item in spec:
                value = self.ev(item, ctx)
                if isinstance(value, list):  # a list inside a list is spliced in
                    out.extend(value)
                elif value is not None:  # an absent value (no photo, say) is left out
                    out.append(value)
            return out
        if isinstance(spec, dict):
            choice = _choice(spec)
            return spec if choice is None else self.draw(choice, spec, ctx)
        return spec

    def plain(self, value: Any, ctx: Ctx) -> Any:
        """`value` with every record field worked out, ready for a dataset line."""
        if isinstance(value, dict):
            return {key: self.plain(self.ev(field, ctx), ctx) for key, field in value.items()}
        return [self.plain(item, ctx) for item in value] if isinstance(value, list) else value

    def options(self, spec: Any, ctx: Ctx) -> list[Any]:
        """The options of a choice, not yet worked out; a `$name` of a list adds its items."""
        raw = self.lookup(spec[1:], ctx) if _is_ref(spec) else spec
        if not isinstance(raw, list) or not raw:
            raise RecipeError(f"{spec!r} is not a list to choose from")
        out: list[Any] = []
        for item in raw:
            found = self.lookup(item[1:], ctx) if _is_ref(item) else None
            if isinstance(found, list):
                out.extend(found)
            else:
                out.append(item)
        return out

    def draw(self, choice: str, spec: Json, ctx: Ctx) -> Any:
        """Draw one of the CHOICES."""
        rng, value = self.rng, spec[choice]
        if choice == "pick":
            options = self.options(value, ctx)
            return self.ev(options[rng.randrange(len(options))], ctx)
        if choice == "cycle":
            options = self.options(value, ctx)
            return self.ev(options[_index(spec.get("index", "i"), ctx["i"]) % len(options)], ctx)
        if choice in ("chance", "if"):
            yes = rng.random() < value if choice == "chance" else self.ev(value, ctx)
            return self.ev(spec.get("then") if yes else spec.get("else"), ctx)
        if choice == "text":
            parts = [
                self.draw("pick", {"pick": p}, ctx)
                if isinstance(p, list) or (_is_ref(p) and isinstance(self.lookup(p[1:], ctx), list))
                else self.ev(p, ctx)
                for p in value
            ]
            return " ".join(str(p) for p in parts if p is not None and p != "")
        if choice in ("price", "brand_price"):
            lo, hi = self.ev(value, ctx)
            if choice == "brand_price":
                floor = float(REF.brands[self.ev(spec.get("brand", "{brand}"), ctx)]["min_market_price"])
                lo, hi = floor * lo, floor * hi
            return self.price(lo, hi, self.ev(spec.get("currency", "USD"), ctx))
        if choice in ("from", "offender"):
            if choice == "offender":
                roll = rng.random()
                allowed = next(pool for below, pool in self.offender_mix if roll < below)
            else:
                allowed = self.options(value, ctx)
            skip = set(self.ev(spec.get("except", []), ctx))
            allowed = [s for s in allowed if s not in skip]
            return allowed[rng.randrange(len(allowed))]
        if choice == "number":
            return rng.randrange(*self.ev(value, ctx))
        if choice == "side_view":
            return f"listings/{PurePosixPath(self.ev(value, ctx)).stem}_side_view.png"
        return self.fresh(lambda: f"S9{rng.randrange(1000, 10000)}", REF.sellers)  # unknown_seller

    def fresh(self, make: Callable[[], str], taken: Container[str] = ()) -> str:
        """A value of `make` that no earlier case has (a listing id, an unknown seller)."""
        while True:
            value = make()
            if value not in taken and value not in self._taken:
                self._taken.add(value)
                return value

    def price(self, lo: float, hi: float, currency: str) -> str:
        """A price between lo and hi USD, in `currency`, with a shop-like ending."""
        endings = self.names["price_endings"]
        local = self.rng.uniform(lo, hi) / REF.fx[currency]
        if local >= 100:
            value = round(local / 5) * 5 - endings["from_100"][self.rng.randrange(len(endings["from_100"]))]
        else:
            value = int(local) + endings["below_100"][self.rng.randrange(len(endings["below_100"]))]
        return f"{max(value, 0.5):.2f}"

    def listing(self, spec: Json, ctx: Ctx) -> Json:
        """The listing: its fields drawn in LISTING_ORDER, then its id."""
        got = {name: self.ev(spec[name], ctx) for name in LISTING_ORDER if name in spec}
        data: Json = {"listing_id": self.fresh(lambda: f"lst-{self.rng.randrange(100000, 1000000)}")}
        data.update(seller_id=got["seller"], title=got["title"], description=got["description"])
        data.update(price=got["price"], currency=got.get("currency") or "USD", category=got["category"])
        if got.get("brand") is not None:
            data["brand"] = got["brand"]
        data["images"] = got.get("images", [])
        return data

    def signal(self, spec: Any, ctx: Ctx) -> Json:
        """A signal; of ``any_of``, every candidate (and its score) is drawn before one is taken."""
        spec = self.ev(spec, ctx)
        if "any_of" in spec:
            signals = [self.signal(s, ctx) for s in spec["any_of"]]
            return signals[self.rng.randrange(len(signals))]
        data = {"source": self.ev(spec["source"], ctx), "reason": self.ev(spec["reason"], ctx)}
        if "score" in spec:
            data["score"] = round(self.rng.uniform(*self.ev(spec["score"], ctx)), 2)
        return data

    def report(self, spec: Json, ctx: Ctx) -> Json:
        """An IP report; a number is drawn for every registration form before one is taken."""
        brand = self.ev(spec.get("brand", "{brand}"), ctx)
        text, evidence = self.ev(spec["text"], ctx), self.plain(self.ev(spec.get("evidence", []), ctx), ctx)
        forms = [
            f["format"].format(number=self.rng.randrange(*f["number"])) for f in self.names["registrations"]
        ]
        registration = forms[self.rng.randrange(len(forms))]
        holder = {"name": REF.brands[brand]["rights_holder"], "brand": brand, "registration": registration}
        return {"rights_holder": holder, "report_text": text, "evidence": evidence}

    def row(self, family: Family, i: int) -> Row:
        """Case `i` (from 0) of `family`, not yet dated."""
        recipe = family.recipe
        if "scenarios" in recipe:
            slots = [s for s in recipe["scenarios"] for _ in range(s.get("slots", 1))]
            recipe = _merge(recipe, slots[i % len(slots)], over_lets_first=False)
        if "like" in recipe:
            if recipe["like"] not in family.shapes:
                raise RecipeError(f"no shape named {recipe['like']!r} in this file")
            recipe = _merge(family.shapes[recipe["like"]], recipe, over_lets_first=True)
        ctx: Ctx = ChainMap({"i": i}, self.names)
        for name, spec in recipe.get("let", {}).items():
            ctx[name] = self.ev(spec, ctx)
        listing = self.listing(recipe["listing"], ctx)
        for name, spec in recipe.get("after_listing", {}).items():
            ctx[name] = self.ev(spec, ctx)
        kind, extra = "listing_review", {}
        if "appeal" in recipe:
            appeal, kind = recipe["appeal"], "seller_appeal"
            original = self.ev(appeal["original"], ctx)
            extra["original_decision"] = {
                "decision": self.ev(original["decision"], ctx),
                "clause_ids": self.ev(original["clause_ids"], ctx),
                "decided_at": "",  # set when the case is dated
            }
            extra["appeal_text"] = self.ev(appeal["text"], ctx)
            extra["new_evidence"] = self.plain(self.ev(appeal.get("evidence", []), ctx), ctx)
        elif "report" in recipe:
            kind, extra = "ip_report", self.report(recipe["report"], ctx)
        else:
            extra["signal"] = self.signal(recipe["signal"], ctx)
        tags = self.ev(recipe.get("tags", []), ctx)
        if unknown := [t for t in tags if t not in vocabulary().tags]:
            raise RecipeError(f"not a tag of line_schema.yaml: {', '.join(unknown)}")
        decision, area = self.ev(recipe.get("decision"), ctx), self.ev(recipe.get("area"), ctx)
        if decision not in vocabulary().decisions:
            raise RecipeError(f"decision {decision!r} is not one of {', '.join(vocabulary().decisions)}")
        clauses, severity = self.ev(recipe.get("clauses", []), ctx), self.ev(recipe.get("severity"), ctx)
        return Row(kind, listing, extra, decision, area, clauses, tags, severity)


def core_lines(sources: Sources, seed: int = SEED) -> list[Json]:
    """Every family's cases in file order, shuffled, numbered and dated.

    Raises:
        SourceError: a recipe that cannot be followed, naming its family, file and line.
    """
    cases, rows = Cases(seed, sources), []
    for family in sources.families:
        for i in range(family.count):
            try:
                rows.append(cases.row(family, i))
            except RecipeError as exc:
                raise family.error(f"case {i}: {exc}") from None
            except (KeyError, TypeError, IndexError, ValueError, SyntaxError) as exc:
                raise family.error(f"case {i}: {type(exc).__name__}: {exc}") from None
    rng = cases.rng
    rng.shuffle(rows)
    lines = []
    for n, row in enumerate(rows, start=1):
        # Appeals come later in the month, to leave room for the decision they appeal.
        day, hour = rng.randint(18 if row.kind == "seller_appeal" else 12, 30), rng.randint(6, 21)
        minute, zone = rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)), rng.choice(TIMEZONES)
        received = datetime(2026, 11, day, hour, minute, tzinfo=zone)
        if row.kind == "seller_appeal":
            decided = received - timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 12))
            row.extra["original_decision"]["decided_at"] = (
                decided.astimezone(UTC).isoformat().replace("+00:00", "Z")
            )
        lines.append(
            make_line(row, f"core-{n:04d}", received.isoformat().replace("+00:00", "Z"), "generated")
        )
    return lines
