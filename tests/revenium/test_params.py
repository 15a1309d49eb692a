"""The parameter table holds exactly the API's 36 names, and the contract's aliases."""

from __future__ import annotations

import pytest

from revenium import params as P

# Spelled out here on purpose: an independent copy of revenium-api.md's table, in its order.
API_NAMES = [
    "teamId",
    "startDate",
    "endDate",
    "requestDurationMin",
    "requestDurationMax",
    "totalCostMin",
    "totalCostMax",
    "transactionId",
    "traceId",
    "traceType",
    "organizationName",
    "subscriberId",
    "subscriberEmail",
    "subscriptionId",
    "productId",
    "agent",
    "provider",
    "model",
    "modelSource",
    "errorReason",
    "operationSubtype",
    "environment",
    "billingSkipped",
    "requestedImageCountMin",
    "requestedImageCountMax",
    "actualImageCountMin",
    "actualImageCountMax",
    "resolution",
    "quality",
    "style",
    "format",
    "sourceImageProvided",
    "revisedPromptProvided",
    "page",
    "size",
    "sort",
]

CONTRACT_ALIASES = {
    "org": "organizationName",
    "subscriber": "subscriberId",
    "email": "subscriberEmail",
    "subscription": "subscriptionId",
    "product": "productId",
    "env": "environment",
    "subtype": "operationSubtype",
    "source": "modelSource",
    "error": "errorReason",
    "trace": "traceId",
    "tx": "transactionId",
    "billing-skipped": "billingSkipped",
    "source-image": "sourceImageProvided",
    "revised-prompt": "revisedPromptProvided",
}


def test_exactly_the_36_names_in_the_pages_order() -> None:
    assert [p.name for p in P.PARAMS] == API_NAMES


@pytest.mark.parametrize(("alias", "name"), sorted(CONTRACT_ALIASES.items()))
def test_contract_aliases(alias: str, name: str) -> None:
    assert P.KEYS[alias].name == name


@pytest.mark.parametrize(
    "name", [n for n in API_NAMES if n not in ("teamId", "page", "size", "sort")]
)
def test_every_user_parameter_is_a_key_by_its_api_name(name: str) -> None:
    assert P.KEYS[name.lower()].name == name


def test_comparison_words_map_to_inclusive_ranges() -> None:
    pairs = {word: (lo.name, hi.name) for word, (lo, hi) in P.COMPARISONS.items()}
    assert pairs == {
        "cost": ("totalCostMin", "totalCostMax"),
        "duration": ("requestDurationMin", "requestDurationMax"),
        "images": ("actualImageCountMin", "actualImageCountMax"),
        "actual": ("actualImageCountMin", "actualImageCountMax"),
        "requested": ("requestedImageCountMin", "requestedImageCountMax"),
    }


def test_bounds_follow_the_api_page() -> None:
    assert (P.param("requestDurationMin").low, P.param("requestDurationMax").high) == (0, 300_000)
    assert P.param("totalCostMax").high == 999_999.99
    assert P.param("actualImageCountMax").high == 100
    assert P.param("model").max_len == 255
    assert P.param("environment").max_len == 50
    assert P.param("quality").max_len == 20


def test_enum_choices_match_the_sdk_lists() -> None:
    assert P.param("operationSubtype").choices == (
        "generation",
        "edit",
        "variation",
        "upscale",
        "inpainting",
    )
    assert P.param("environment").choices == ("production", "staging", "development", "test")
    assert P.param("style").choices == ("vivid", "natural")
    assert P.param("resolution").open_choices
