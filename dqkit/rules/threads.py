"""Each rule's regexes compiled once per process, not once per call.

polars compiles a regex on the thread that evaluates the expression and keeps only the 32
it compiled last on that thread (an LRU). A rule set has more patterns than that (the
built-in one about 90), so a loop over all rules on one thread compiles every pattern
again at every call: 5-30 ms each, about 0.5 s for the built-in rules on every shard and
every round of :func:`dqkit.rules.engine.match_lines`, more than matching them costs.

Here every rule is evaluated on a thread of its own group of at most ``RULES_PER_THREAD``
rules (a rule runs at most two regexes of its own and one shared by all), so each thread
keeps its group's patterns compiled for the life of the process. Groups are handed out in
the order rules are first seen; the threads idle between calls.

>>> from concurrent.futures import Future
>>> isinstance(on_rule_thread("some rule", lambda x: x + 1, 1), Future)
True
>>> on_rule_thread("some rule", lambda x: x + 1, 1).result()
2
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

RULES_PER_THREAD = 15  # 15 x 2 regexes + PUNCT_ONLY = 31 of polars' 32 per thread
MAX_THREADS = 32  # beyond 480 rules threads are shared (their patterns compiled more often)
MAX_REMEMBERED = 100_000  # rules seen in this process (tests and API callers make many)

T = TypeVar("T")

_home: dict[Hashable, int] = {}
_threads: list[ThreadPoolExecutor] = []
_lock = threading.Lock()


def _thread_for(rule: Hashable) -> ThreadPoolExecutor:
    with _lock:
        if rule not in _home:
            if len(_home) >= MAX_REMEMBERED:
                _home.clear()
            _home[rule] = (len(_home) // RULES_PER_THREAD) % MAX_THREADS
            if _home[rule] == len(_threads):
                _threads.append(ThreadPoolExecutor(1, thread_name_prefix=f"dqkit-rules-{len(_threads)}"))
        return _threads[_home[rule]]


def on_rule_thread(rule: Hashable, function: Callable[..., T], *args: object) -> Future[T]:
    """``function(*args)`` run on ``rule``'s thread."""
    return _thread_for(rule).submit(function, *args)
