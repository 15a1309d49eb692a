"""What the synthetic world is made of: customers, agents, models and their prices.

Fixed on purpose (the seed only drives the draws), so demos and tests always
meet the same organisations and models. Prices are USD per image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Weighted = tuple[tuple[str | None, float], ...]

# (organisation, e-mail domain, weight, agents, products)
ORGS = (
    ("Acme Corp", "acme.example", 30, ("thumbnailer", "catalog-bot"), (0, 1)),
    ("Globex", "globex.example", 18, ("ad-designer", "thumbnailer"), (2,)),
    ("Initech", "initech.example", 12, ("report-illustrator",), (0,)),
    ("Umbrella Labs", "umbrella.example", 10, ("avatar-maker", "catalog-bot"), (3, 1)),
    ("Hooli", "hooli.example", 9, ("banner-batch", "ad-designer"), (2,)),
    ("Stark Industries", "stark.example", 8, ("concept-artist",), (0,)),
    ("Wayne Enterprises", "wayne.example", 6, ("support-assistant", "thumbnailer"), (1,)),
    ("Pied Piper", "piedpiper.example", 4, ("avatar-maker",), (3,)),
)
PRODUCTS = (
    ("img-studio", "Image Studio"),
    ("catalog-gen", "Catalog Generator"),
    ("ad-creative", "Ad Creative"),
    ("avatar-kit", "Avatar Kit"),
)
SUBSCRIBERS = (("maria", 5.0, "pro"), ("dev-lead", 3.0, "pro"), ("intern", 1.0, "starter"))

ENVIRONMENTS: Weighted = (("production", 85), ("staging", 8), ("development", 5), ("test", 2))
# (reason, weight, billed): a timeout or a partly filtered batch was still generated and charged.
ERRORS = (
    ("content_policy_violation", 45, True),
    ("rate_limit_exceeded", 25, False),
    ("timeout", 15, True),
    ("invalid_request", 15, False),
)
ERROR_RATE = 0.032
TRACE_TYPES = ("workflow", "workflow", "batch", "chat", "api", "workflow", "batch", None)


@dataclass(frozen=True)
class Model:
    provider: str
    name: str
    weight: float
    sources: Weighted
    resolutions: Weighted
    qualities: Weighted
    styles: Weighted
    formats: Weighted
    price: Callable[[str | None, str | None], float]  # (resolution, quality) -> USD per image
    base_ms: float  # typical duration of one image
    max_images: int
    revised: float  # share of generations that come back with a revised prompt
    subtypes: Weighted


def _dalle3(res: str | None, quality: str | None) -> float:
    square = res == "1024x1024"
    if quality == "hd":
        return 0.08 if square else 0.12
    return 0.04 if square else 0.08


def _gpt_image(res: str | None, quality: str | None) -> float:
    square = {"low": 0.016, "medium": 0.042, "high": 0.09}[quality or "medium"]
    return square if res == "1024x1024" else min(round(square * 1.5, 3), 0.12)


_SQUARE_AND_WIDE: Weighted = (("1024x1024", 70), ("1024x768", 15), ("768x1024", 15))
_FAL_FORMATS: Weighted = (("jpeg", 60), ("png", 25), ("webp", 15))
_NONE: Weighted = ((None, 1),)


def _imagen(provider: str, name: str, weight: float, price: float, high: float) -> Model:
    return Model(
        provider,
        name,
        weight,
        ((provider, 1),),
        _SQUARE_AND_WIDE,
        (("standard", 80), ("high", 20)),
        _NONE,
        (("png", 70), ("jpeg", 30)),
        lambda _r, q: high if q == "high" else price,
        8_000,
        4,
        0.0,
        (("generation", 80), ("edit", 10), ("upscale", 6), ("inpainting", 4)),
    )


def _fal(name: str, weight: float, price: float, base_ms: float) -> Model:
    return Model(
        "fal_ai",
        name,
        weight,
        (("FAL_AI", 1),),
        _SQUARE_AND_WIDE,
        _NONE,
        _NONE,
        _FAL_FORMATS,
        lambda _r, _q: price,
        base_ms,
        4,
        0.0,
        (("generation", 85), ("edit", 8), ("inpainting", 4), ("upscale", 3)),
    )


# One row per model: its provider, weight, options, price and latency side by side.
# fmt: off
MODELS = (
    Model("OPENAI", "dall-e-3", 30, (("OPENAI", 70), ("LITELLM", 30)),
          (("1024x1024", 75), ("1792x1024", 15), ("1024x1792", 10)),
          (("standard", 65), ("hd", 35)), (("vivid", 60), ("natural", 40)),
          (("url", 70), ("b64_json", 30)), _dalle3, 11_000, 1, 0.95, (("generation", 1),)),
    Model("OPENAI", "gpt-image-1", 25, (("OPENAI", 75), ("LITELLM", 25)),
          (("1024x1024", 60), ("1024x1536", 20), ("1536x1024", 20)),
          (("low", 25), ("medium", 50), ("high", 25)), _NONE,
          (("b64_json", 70), ("png", 15), ("webp", 10), ("jpeg", 5)), _gpt_image, 16_000, 4, 0.3,
          (("generation", 75), ("edit", 17), ("inpainting", 8))),
    Model("OPENAI", "dall-e-2", 5, (("OPENAI", 1),),
          (("256x256", 20), ("512x512", 30), ("1024x1024", 50)), (("standard", 1),), _NONE,
          (("url", 80), ("b64_json", 20)),
          lambda r, _q: {"256x256": 0.016, "512x512": 0.018}.get(r or "", 0.02), 4_500, 4, 0.0,
          (("generation", 70), ("edit", 15), ("variation", 15))),
    _imagen("GOOGLE_AI", "imagen-4", 6, 0.04, 0.06),
    _imagen("VERTEX_AI", "imagen-4", 5, 0.04, 0.06),
    _imagen("GOOGLE_AI", "imagen-3", 4, 0.03, 0.03),
    _imagen("VERTEX_AI", "imagen-3", 3, 0.03, 0.03),
    _fal("flux-pro", 10, 0.05, 6_000),
    _fal("flux-schnell", 8, 0.016, 2_500),
    _fal("sdxl", 4, 0.02, 4_000),
)
# fmt: on
