"""Per-token rate limit for tool calls: a fixed one-minute window counted in Django's cache.

The cache is the default one (local memory, so counted per server process) unless ``CACHES`` points at a shared
cache such as Redis. A cache that does not answer lets the call through: the limit protects the portal from a
runaway agent, and is not worth refusing every agent over.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    retry_after: int = 0


def rate_limit_take(token_key: str, *, now: float | None = None) -> RateDecision:
    """Count one call for the token with this (non-secret) key prefix; refused once it has made
    ``MESH_MCP_RATE_LIMIT`` calls in the current minute. A limit of 0 turns the limit off."""
    limit = int(settings.MESH_MCP_RATE_LIMIT)
    if limit <= 0:
        return RateDecision(allowed=True, limit=0)
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"mesh:mcp:calls:{token_key}:{window}"
    try:
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # the entry expired between add and incr
                cache.add(key, 1, timeout=WINDOW_SECONDS * 2)
                count = 1
    except Exception:  # the cache is down: let the call through rather than refuse everyone
        logger.warning("MCP rate limit not counted: the cache did not answer", exc_info=True)
        return RateDecision(allowed=True, limit=limit)
    retry_after = int((window + 1) * WINDOW_SECONDS - now) + 1
    return RateDecision(allowed=count <= limit, limit=limit, retry_after=retry_after)
