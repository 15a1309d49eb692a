"""The 36 query parameters of "List AI Image Metrics by team", written once.

This table is the single source of truth for the grammar (keys and aliases),
validation (bounds, lengths, enums), the client (which names may be sent), the
sandbox and the mirror (which record field a filter reads) and the help text.
Nothing else in the code spells a parameter name as a literal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    STRING = "string"
    ENUM = "enum"
    INT = "integer"
    NUMBER = "number"
    BOOL = "boolean"
    DATETIME = "date-time"


class Role(Enum):
    TEAM = "team"  # sent on every request, never typed by users
    WINDOW = "window"  # startDate / endDate
    FILTER = "filter"  # an exact-match or enum filter on one record field
    MIN = "min"  # inclusive lower bound of a numeric record field
    MAX = "max"  # inclusive upper bound of a numeric record field
    PAGING = "paging"  # page / size / sort


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    role: Role
    help: str
    field: str | None = None  # record field the filter reads ("organization.label": nested)
    low: float | None = None  # numeric bounds, inclusive
    high: float | None = None
    min_len: int | None = None  # string length bounds
    max_len: int | None = None
    choices: tuple[str, ...] = ()  # enum values, canonical spelling
    aliases: tuple[str, ...] = ()  # extra `key:` spellings users may type
    compare: tuple[str, ...] = ()  # words usable with > >= < <= (MIN/MAX rows only)
    unit: str = ""  # "ms" or "USD", for help and messages
    open_choices: bool = False  # choices are hints only (resolution varies by provider)

    @property
    def is_filter(self) -> bool:
        return self.role in (Role.FILTER, Role.MIN, Role.MAX)


def _text(name: str, field: str, help: str, *aliases: str) -> Param:
    return Param(
        name, Kind.STRING, Role.FILTER, help, field=field, min_len=1, max_len=255, aliases=aliases
    )


def _enum(
    name: str, help: str, max_len: int, choices: tuple[str, ...], *aliases: str, open_: bool = False
) -> Param:
    return Param(
        name,
        Kind.ENUM,
        Role.FILTER,
        help,
        field=name,
        min_len=1,
        max_len=max_len,
        choices=choices,
        aliases=aliases,
        open_choices=open_,
    )


def _bool(name: str, help: str, *aliases: str) -> Param:
    return Param(name, Kind.BOOL, Role.FILTER, help, field=name, aliases=aliases)


def _range(
    stem: str,
    field: str,
    kind: Kind,
    *,
    low: float,
    high: float,
    what: str,
    compare: tuple[str, ...],
    unit: str,
) -> tuple[Param, Param]:
    return (
        Param(
            f"{stem}Min",
            kind,
            Role.MIN,
            f"Minimum {what}.",
            field=field,
            low=low,
            high=high,
            compare=compare,
            unit=unit,
        ),
        Param(
            f"{stem}Max",
            kind,
            Role.MAX,
            f"Maximum {what}.",
            field=field,
            low=low,
            high=high,
            compare=compare,
            unit=unit,
        ),
    )


# One row per parameter, in the API page's order: the table reads as the page does.
# fmt: off
PARAMS: tuple[Param, ...] = (
    Param("teamId", Kind.STRING, Role.TEAM, "Hashed id of the team whose metrics are read."),
    Param("startDate", Kind.DATETIME, Role.WINDOW, "Window start (ISO 8601), on requestTime.",
          field="requestTime"),
    Param("endDate", Kind.DATETIME, Role.WINDOW, "Window end (ISO 8601), on requestTime.",
          field="requestTime"),
    *_range("requestDuration", "requestDuration", Kind.INT, low=0, high=300_000,
            what="request duration in milliseconds", compare=("duration",), unit="ms"),
    *_range("totalCost", "totalCost", Kind.NUMBER, low=0, high=999_999.99,
            what="total cost of a request in USD", compare=("cost",), unit="USD"),
    _text("transactionId", "transactionId", "Exact transaction id.", "tx"),
    _text("traceId", "traceId", "Exact trace id.", "trace"),
    _text("traceType", "traceType", "Trace type; `unknown` matches records without one."),
    _text("organizationName", "organization.label", "Consuming organization name.", "org"),
    _text("subscriberId", "subscriberId", "Subscriber id.", "subscriber"),
    _text("subscriberEmail", "subscriberEmail", "Subscriber email.", "email"),
    _text("subscriptionId", "subscriptionId", "Subscription id.", "subscription"),
    _text("productId", "product.id", "Product id.", "product"),
    _text("agent", "agent", "Agent name."),
    _text("provider", "provider", "AI provider, e.g. OPENAI."),
    _text("model", "model", "AI model, e.g. dall-e-3."),
    _text("modelSource", "modelSource", "Model source.", "source"),
    _text("errorReason", "errorReason", "Error reason.", "error"),
    _enum("operationSubtype", "Operation subtype.", 50,
          ("generation", "edit", "variation", "upscale", "inpainting"), "subtype"),
    _enum("environment", "Deployment environment.", 50,
          ("production", "staging", "development", "test"), "env"),
    _bool("billingSkipped", "Whether billing was skipped.", "billing-skipped"),
    *_range("requestedImageCount", "requestedImageCount", Kind.INT, low=0, high=100,
            what="requested image count", compare=("requested",), unit=""),
    *_range("actualImageCount", "actualImageCount", Kind.INT, low=0, high=100,
            what="actual image count generated", compare=("images", "actual"), unit=""),
    _enum("resolution", "Image resolution, e.g. 1024x1024 (any value up to 20 characters).", 20,
          ("256x256", "512x512", "1024x1024", "1792x1024", "1024x1792", "1024x1536",
           "1536x1024", "768x1024", "1024x768"), open_=True),
    _enum("quality", "Image quality setting.", 20,
          ("standard", "hd", "low", "medium", "high", "auto")),
    _enum("style", "Image style.", 20, ("vivid", "natural")),
    _enum("format", "Image response format.", 20, ("url", "b64_json", "png", "jpeg", "webp")),
    _bool("sourceImageProvided", "Whether a source image was provided (edits, variations).",
          "source-image"),
    _bool("revisedPromptProvided", "Whether a revised prompt was returned.", "revised-prompt"),
    Param("page", Kind.INT, Role.PAGING, "Zero-based page index.", low=0),
    Param("size", Kind.INT, Role.PAGING, "Page size.", low=1),
    Param("sort", Kind.STRING, Role.PAGING, "Sort criteria `property,asc|desc`, repeatable."),
)
# fmt: on

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
FILTERS: tuple[Param, ...] = tuple(p for p in PARAMS if p.is_filter)

# Lower-cased key (API name or alias) -> parameter, for `key:value` tokens.
KEYS: dict[str, Param] = {
    key.lower(): p
    for p in PARAMS
    if p.role is not Role.TEAM and p.role is not Role.PAGING
    for key in (p.name, *p.aliases)
}

# Comparison word -> (MIN row, MAX row), for `cost>5`, `duration<=2s`, `images>=2`.
COMPARISONS: dict[str, tuple[Param, Param]] = {
    word: (lo, hi)
    for lo in PARAMS
    if lo.role is Role.MIN
    for hi in PARAMS
    if hi.role is Role.MAX and hi.field == lo.field
    for word in lo.compare
}


def param(name: str) -> Param:
    """The row for an API name; a KeyError here is a programming error."""
    return BY_NAME[name]


# Names used by code outside this module, bound once so a typo fails at import.
TEAM_ID = param("teamId").name
START_DATE = param("startDate").name
END_DATE = param("endDate").name
PAGE = param("page").name
SIZE = param("size").name
SORT = param("sort").name
TRACE_TYPE = param("traceType").name
NO_TRACE_TYPE = "unknown"  # the traceType value that matches records without one
