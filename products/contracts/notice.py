"""How much notice consumers get before a breaking change or a retirement takes effect.

The portal default is ``settings.MESH_NOTICE_DAYS``; an app that sets standards (governance) registers a provider
that answers the notice the council has put in force, and the longest answer wins."""

from collections.abc import Callable

from django.conf import settings

_providers: list[Callable[[], int | None]] = []


def notice_days_provider_register(provider: Callable[[], int | None]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def notice_days() -> int:
    answers = [days for days in (provider() for provider in _providers) if days is not None]
    return max(answers) if answers else int(settings.MESH_NOTICE_DAYS)
