"""Personal data is found in its usual written forms, masked idempotently, and ids, times,
prices and policy text are left alone."""

from __future__ import annotations

import logging

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditgraph.tools.personal_data import MaskingFilter, find_personal_data, mask, mask_text
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail john.doe@gmail.com now", "mail [email] now"),
        ("write to john (at) gmail (dot) com", "write to [email]"),
        ("jane at yahoo dot com", "[email]"),
        ("Call +44 7700 900123 today", "Call [phone] today"),
        ("text me 555-014-2377", "text me [phone]"),
        ("call me 5551234567", "call me [phone]"),
        ("tel:555-123-4567", "tel:[phone]"),
        ("whatsapp wa.me/15551234567", "whatsapp [handle]"),
        ("DM on IG @sneaker_plug99", "DM on IG [handle]"),
        ("t.me/cheapwatches for stock", "[handle] for stock"),
        ("pick up at 221B Baker Street, Apt 4 please", "pick up at [address] please"),
        ("Hauptstraße 5, Berlin", "[address], Berlin"),
        ("P.O. Box 1234", "[address]"),
        ("London NW1 6XE", "London [address]"),
        # Phone numbers of other regions (libphonenumber), international and national.
        ("bel +31 6 4821 7730 of mail", "bel [phone] of mail"),
        ("appelez le +33 6 12 34 56 78", "appelez le [phone]"),
        ("ruf an: 0049 30 1234567", "ruf an: [phone]"),
        ("(+31) 20 123 4567", "[phone]"),
        ("bel 06 48217730", "bel [phone]"),
        ("Tel. 030 1234567", "Tel. [phone]"),
        ("llámame 612 34 56 78", "llámame [phone]"),
        ("chiama 347 123 4567", "chiama [phone]"),
        # IBANs, grouped or not, valid by their check digits.
        ("pay to NL91 ABNA 0417 1643 00 CASH", "pay to [iban] CASH"),
        ("IBAN: DE89370400440532013000.", "IBAN: [iban]."),
        ("FR14 2004 1010 0505 0001 3M02 606", "[iban]"),
        # Continental street addresses.
        ("collect at Keizersgracht 417, Amsterdam", "collect at [address], Amsterdam"),
        ("Van Baerlestraat 12-3", "[address]"),
        ("Hauptstr. 5a", "[address]"),
        ("12 rue de Rivoli, Paris", "[address], Paris"),
        ("Calle Mayor 12, Madrid", "[address], Madrid"),
        ("Via Roma 10, Milano", "[address], Milano"),
    ],
)
def test_each_kind_is_masked_with_its_label(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "received 2026-11-25T13:16:55.123456Z",
        "price 1299.00 USD, was 1,299.99",
        "case-2026-0001 listing lst-410552",
        "4 wheel drive toy car, 12 pieces",
        "look at this dot com deal",
        "Rolex Submariner 126610LN, 40 mm, 300 m water resistant",
        "sha 8eec0ac25c737c33f39d7184a5e2855c961d0e037f70787c87ed83c73a97280b",
        "on 2024-01-02 12:30, sizes 38 39 40 41 42 43",
        "EAN 4006381333931, order 1234567890",
        "account DE89370400440532013001",  # check digits do not hold
        "ship via DHL in 3 days, Spring 2026 collection",
    ],
)
def test_what_is_not_personal_data_is_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize("name", ["pack.yaml", "pack-2026.11.1.yaml"])
def test_the_policy_pack_reads_the_same_after_masking(name: str) -> None:
    # Clause text goes into statements of reasons, which are masked as a whole; so do the
    # boundary examples, which read like listings.
    pack = yaml.safe_load((DATA / "policy" / name).read_text())
    assert mask(pack) == pack


def test_synthetic_values_still_read_as_contact_details() -> None:
    masked = mask_text("WhatsApp +1 415 555 2671 or mail a.b@mail.com", style="synthetic")
    assert "415" not in masked and "a.b@mail.com" not in masked
    assert [d.kind for d in find_personal_data(masked)] == ["phone", "email"]


def test_extra_strings_such_as_a_display_name_are_masked() -> None:
    assert mask_text("Sold by Jane Roe, ask JANE ROE", extra=("Jane Roe",)) == "Sold by [name], ask [name]"


def test_identifier_keys_are_not_masked() -> None:
    record = {"case_id": "c-555-123-4567", "reviewer": "lead@corp.example", "note": "call 555-123-4567"}
    assert mask(record) == {
        "case_id": "c-555-123-4567",
        "reviewer": "lead@corp.example",
        "note": "call [phone]",
    }


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 +-().@abcATdotcom:_/StreetBox"), max_size=80))
def test_masking_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


def test_the_logging_filter_masks_formatted_messages(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.personal_data")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="tests.personal_data"):
        logger.info("seller wrote %s", "reach me at 555-014-2377")
    assert caplog.messages == ["seller wrote reach me at [phone]"]


def test_labels_from_an_earlier_mask_become_fictional_values_of_their_kind() -> None:
    # An erased case imported as an eval case still offers the screen a phone number.
    erased = "WhatsApp me at [phone] or [email]; see [x]"
    assert mask_text(erased) == erased
    assert (
        mask_text(erased, style="synthetic")
        == "WhatsApp me at +1 555 010 0199 or seller@example.com; see [x]"
    )
