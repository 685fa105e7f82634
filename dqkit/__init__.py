"""dqkit: data quality and deduplication for text corpora."""

__version__ = "0.1.0"
