"""The shared cache's backend: Django's Redis cache, forgiving of Redis being down or slow.

Nothing's correctness depends on the cache (README, "Caching"), so while its Redis does not answer a read is a
miss and a write is skipped: the page is worked out afresh instead of failing. A failure is logged once and the
cache is left alone for a few seconds, so a Redis that hangs costs one short timeout, not one a cache call.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long the cache is passed over after Redis failed to answer.
RESTING_SECONDS = 5.0


class ForgivingRedisCache(RedisCache):
    _resting_until = 0.0

    def _call(self, name: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < type(self)._resting_until:
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError as error:
            type(self)._resting_until = time.monotonic() + RESTING_SECONDS
            logger.warning("The cache's Redis did not answer (%s): working without the cache for a while", error)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", None, key, delta, version)

    def clear(self):
        return self._call("clear", None)
