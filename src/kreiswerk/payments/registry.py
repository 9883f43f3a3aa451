"""Payment providers by key; each module under ``contrib`` registers its own."""

from __future__ import annotations

from django.conf import settings

from .base import Provider

_providers: dict[str, Provider] = {}


def register(provider_class: type[Provider]) -> type[Provider]:
    if provider_class.key in _providers:
        raise ValueError(f"payment provider {provider_class.key} registered twice")
    _providers[provider_class.key] = provider_class()
    return provider_class


def provider_for(key: str) -> Provider | None:
    return _providers.get(key)


def active_provider() -> Provider | None:
    """The provider the settings switch on, if it is completely configured; else None (no online payment)."""
    provider = _providers.get(settings.KREISWERK_PAYMENT_PROVIDER)
    return provider if provider is not None and provider.configured() else None
