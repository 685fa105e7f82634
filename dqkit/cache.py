"""The folder where dqkit keeps what it builds from installed data, between runs.

Everything in it can be built again (word-frequency lookups, the report template compiled),
so deleting it is always safe, and a cache that cannot be written only costs time.

>>> import os
>>> os.environ["DQKIT_CACHE_DIR"] = "/tmp/c"; str(cache_folder("wordfreq"))
'/tmp/c/wordfreq'
>>> os.environ["DQKIT_CACHE_DIR"] = ""; cache_folder("wordfreq") is None
True
>>> del os.environ["DQKIT_CACHE_DIR"]
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder(part: str) -> Path | None:
    """The cache's folder for ``part``: under ``$DQKIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/dqkit``, else ``~/.cache/dqkit``; None when ``DQKIT_CACHE_DIR`` is set
    empty (no cache). The folder may not exist yet."""
    configured = os.environ.get("DQKIT_CACHE_DIR")
    if configured is not None:
        return Path(configured) / part if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dqkit" / part
