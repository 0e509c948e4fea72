"""How a case and its evidence are shown to a model: untrusted text fenced as data.

Seller-written and reporter-written text, and the text read from a listing's images, is
never spliced into instructions. It is JSON-encoded inside a block the instructions name
as data, after every static instruction, with "<" escaped, so no listing (or photo) can
pose as a system message or close the block, and providers can cache the unchanging
prefix of the prompt.
"""

from __future__ import annotations

import json
from typing import Any

from auditgraph.agents.evidence import EvidenceSet
from auditgraph.tools.case import AnyCase
from auditgraph.tools.image_text import ImageText

__all__ = ["DATA_CLOSE", "DATA_OPEN", "MAX_IMAGE_TEXT", "case_block", "evidence_block"]

DATA_OPEN = "<untrusted_case_data>"
DATA_CLOSE = "</untrusted_case_data>"
MAX_IMAGE_TEXT = 1_000
"""Characters of one image's text shown to a model."""


def case_block(case: AnyCase) -> str:
    """The case as a fenced JSON data block."""
    data = case.model_dump(mode="json", exclude={"received_at"})
    # An attacker may write the closing tag into a listing; escaping "<" keeps it inert.
    body = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")
    return f"{DATA_OPEN}\n{body}\n{DATA_CLOSE}"


def evidence_block(evidence: EvidenceSet) -> str:
    """The tools' findings, compact and in a stable order, as JSON."""
    summary: dict[str, Any] = {}
    seller = evidence.seller_history
    if seller is not None:
        summary["seller_history"] = seller.model_dump(
            mode="json",
            include={
                "status", "error", "account_age_days", "kyc_verified", "strikes", "dispute_rate",
                "refund_rate", "upheld_by_area", "verified_brands",
            },
        )  # fmt: skip
    screen = evidence.text_screen
    if screen is not None:
        summary["text_screen"] = {
            "status": screen.status,
            "findings": [
                f.model_dump(mode="json", include={"kind", "field", "term", "area", "obfuscated"})
                for f in screen.findings
            ],
        }
    images = evidence.image_check
    if images is not None:
        summary["image_check"] = {
            "status": images.status,
            "images": [
                {
                    "ref": i.ref,
                    "status": i.status,
                    "matches": [m.model_dump(mode="json", exclude={"brand"}) for m in i.matches],
                    "reused_by_other_sellers": len(i.reused_by),
                    **_image_text(i.ocr),
                }
                for i in images.images
            ],
        }
    risk = evidence.risk_screen
    if risk is not None:
        summary["risk_screen"] = risk.model_dump(
            mode="json", include={"status", "error", "violation", "areas", "approve_below", "decide_at"}
        )
    brands = evidence.brand_check
    if brands is not None:
        summary["brand_check"] = brands.model_dump(mode="json", exclude={"tool", "rights_holders"})
    text = json.dumps(summary, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c")


def _image_text(ocr: ImageText | None) -> dict[str, Any]:
    """The text read from an image, as data (the seller's words, like the listing's),
    and what the text screen found in it."""
    if ocr is None:
        return {}
    shown: dict[str, Any] = {"text_status": ocr.status}
    if ocr.status == "ok":
        shown["text"] = ocr.text[:MAX_IMAGE_TEXT]
        shown["text_findings"] = [
            f.model_dump(mode="json", include={"kind", "field", "term", "area", "obfuscated"})
            for f in ocr.findings
        ]
    else:
        shown["text_error"] = ocr.error
    return shown
