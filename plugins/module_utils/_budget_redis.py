# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The request budget's slots kept in Redis (``rate_limit_store``): one budget per token for every machine.

Imported only when a store is set. The same policy as ``_budget_local`` (the earliest time at which
fewer than ``per_minute`` slots lie in the window before it, first come first served, a block after a
429, phantom slots for the server's count), decided atomically by one Lua script inside Redis, on the
Redis server's clock (``TIME``): the machines' clocks never decide, and a reservation is answered as a
wait in seconds, which every machine sleeps on its own clock. The slots are a sorted set, the block and
a sequence (members of the set) a hash; the keys, ``altostrat.cloud:budget:{<hash of api_url and
token>}:slots`` / ``:meta`` (one hash slot, for Redis Cluster), expire one window after the last slot:
the token never reaches Redis, and nothing piles up.

A store that cannot be used (down, refusing auth, timing out, an answer that is not ours) raises
OSError naming the problem without the URL's password; ``_budget.Budget`` warns once and carries on
with the local budget. Each call waits at most ``STORE_TIMEOUT`` seconds, and never past the time
the task has left. redis-py's own retries are off: the budget decides what happens next.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import traceback

from urllib.parse import urlsplit

from ansible_collections.altostrat.cloud.plugins.module_utils._budget_local import BUSY
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_line

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:
    redis = None
    REDIS_IMPORT_ERROR = traceback.format_exc()
else:
    REDIS_IMPORT_ERROR = None

REDIS_REQUIREMENT = 'redis>=4.2'
STORE_TIMEOUT = 2.0  # seconds: one call to the store, connecting included (less when the task has less left)
MIN_TIMEOUT = 0.05
SCHEMES = ('redis', 'rediss')

_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local slots, meta = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now - window)
local function keep(upto)
  local ttl = math.ceil((upto - now + window) * 1000)
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  end
end
"""

# ARGV: window, per_minute, within (negative: no bound), most waiting, paced (1 or 0), busy. Returns {outcome, wait, slot}.
RESERVE = _PRELUDE + """
local per_minute, within, most_waiting, paced = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local past = redis.call('ZCOUNT', slots, '-inf', now)
if past > per_minute then redis.call('ZREMRANGEBYRANK', slots, 0, past - per_minute - 1); past = per_minute end
local total = redis.call('ZCARD', slots)
if total - past >= most_waiting then return {'full', '0', '0'} end
local slot = now
local blocked = tonumber(redis.call('HGET', meta, 'blocked') or '0')
if blocked > slot and blocked <= now + window then slot = blocked end
if total > 0 then
  local last = tonumber(redis.call('ZRANGE', slots, -1, -1, 'WITHSCORES')[2])
  if last > slot then slot = last end
  if paced and total >= per_minute * tonumber(ARGV[6]) and last + window / per_minute > slot then slot = last + window / per_minute end
  if total >= per_minute then
    local nth = tonumber(redis.call('ZRANGE', slots, -per_minute, -per_minute, 'WITHSCORES')[2])
    if nth + window > slot then slot = nth + window end
  end
end
local wait = slot - now
if within >= 0 and wait > within then return {'late', string.format('%.6f', wait), '0'} end
redis.call('ZADD', slots, slot, redis.call('HINCRBY', meta, 'seq', 1))
keep(slot)
return {'ok', string.format('%.6f', wait), string.format('%.6f', slot)}
"""

# ARGV: window, used (at most per_minute), block (seconds, at most a window). Returns the phantom slots added.
SYNC = _PRELUDE + """
local used, block = tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('ZCOUNT', slots, '-inf', now)
local added = 0
if used > held then
  local at = now
  if block > 0 then at = now + block - window end
  for i = 1, used - held do redis.call('ZADD', slots, at, redis.call('HINCRBY', meta, 'seq', 1)) end
  added = used - held
end
if block > 0 and now + block > tonumber(redis.call('HGET', meta, 'blocked') or '0') then
  redis.call('HSET', meta, 'blocked', string.format('%.6f', now + block))
end
keep(now + block)
return added
"""

# ARGV: window, slot. Returns 1 if the slot may still be used, 0 if a block (a 429) has come in over it.
CONFIRM = _PRELUDE + """
local blocked = tonumber(redis.call('HGET', meta, 'blocked') or '0')
if blocked > tonumber(ARGV[2]) then return 0 end
return 1
"""


def check_store_url(url):
    """Refuse (AltostratInputError) a ``rate_limit_store`` that is not a redis:// or rediss:// URL with a host;
    the message never shows the URL (it may hold a password)."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts else None
    except ValueError:
        parts = port = None
    if parts is None or parts.scheme not in SCHEMES or not parts.hostname or port == 0:
        scheme = parts.scheme if parts and parts.scheme in SCHEMES else None
        raise AltostratInputError('rate_limit_store must be a redis:// or rediss:// URL such as rediss://:PASSWORD@redis.example.com:6379/0'
                                  '%s.' % (' with a host' if scheme else ''))
    return parts


def describe(url):
    """``scheme://host:port/db`` of a store URL: never its user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or 'localhost'
    if ':' in host:
        host = '[%s]' % host
    return '%s://%s:%d%s' % (parts.scheme, host, parts.port or 6379, parts.path if parts.path not in ('', '/') else '')


class RedisStore:
    """The slots of one token in the Redis at ``url``; ``reserve`` and ``sync`` as ``_budget_local.LocalStore``'s."""

    def __init__(self, url, name, most_waiting):
        self.url = url
        self.where = describe(url)
        self.most_waiting = most_waiting
        if redis is None:
            raise OSError('rate_limit_store is set but the Python library redis is not installed for %s: '
                          'pip install "%s"' % (_python(), REDIS_REQUIREMENT))
        base = 'altostrat.cloud:budget:{%s}:' % name
        self.keys = [base + 'slots', base + 'meta']
        self._client = None
        self._secret = urlsplit(url).password

    def reserve(self, per_minute, window, within, paced=False, left=None):
        outcome, wait, slot = self._run(RESERVE, [window, per_minute, -1 if within is None else within, self.most_waiting,
                                                  1 if paced else 0, BUSY], left)
        outcome = outcome.decode('ascii') if isinstance(outcome, bytes) else outcome
        if outcome == 'full':
            return None, None
        if outcome == 'late':
            return float(wait), None
        return float(wait), float(slot)

    def sync(self, per_minute, window, used, block, left=None):
        self._run(SYNC, [window, used, block], left)

    def confirm(self, per_minute, window, slot, left=None):
        return self._run(CONFIRM, [window, slot], left) == 1

    def _connection(self, left):
        """The standing client; a one-off with a shorter timeout when the task has less than STORE_TIMEOUT left."""
        if left is not None and left < STORE_TIMEOUT:
            return self._make(max(MIN_TIMEOUT, left))
        if self._client is None:
            self._client = self._make(STORE_TIMEOUT)
        return self._client

    def _make(self, timeout):
        return redis.Redis.from_url(self.url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                    retry=Retry(NoBackoff(), 0), retry_on_timeout=False, health_check_interval=0)

    def _run(self, script, args, left):
        client = self._connection(left)
        try:
            answer = client.register_script(script)(keys=self.keys, args=args)
        except (redis.RedisError, OSError, ValueError) as exc:
            raise OSError(self._problem(exc))
        finally:
            if client is not self._client:
                client.close()
        if script is RESERVE and not (isinstance(answer, list) and len(answer) == 3):
            raise OSError('unexpected answer to the budget script')
        return answer

    def _problem(self, exc):
        text = str(exc) or type(exc).__name__
        if self._secret:
            text = text.replace(self._secret, '********')
        return one_line('%s: %s' % (type(exc).__name__, text), 200)


def _python():
    return 'Python %d.%d (%s)' % (sys.version_info[0], sys.version_info[1], sys.executable)
