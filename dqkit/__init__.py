"""dqkit: data quality and deduplication for text corpora.

``dqkit.clean(source, out=None, **options)`` runs ``dqkit clean`` from Python
(:func:`dqkit.api.clean`); it is imported on first use, so ``import dqkit`` stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "clean"]


def __getattr__(name: str) -> Any:
    if name == "clean":
        from dqkit.api import clean

        return clean
    raise AttributeError(f"module 'dqkit' has no attribute {name!r}")
