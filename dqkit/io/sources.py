"""Find the input files of a run: folders, single files and globs.

>>> fmt, comp = classify(Path("a/b.jsonl.zst"))
>>> (fmt, comp)
('jsonl', 'zst')
>>> classify(Path("crawl.warc.gz")), classify(Path("crawl.warc.xz"))
(('warc', 'gz'), (None, None))
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from dqkit.errors import OptionsError

COMPRESSIONS = ("gz", "zst", "bz2", "xz")
FORMATS = {
    "txt": "txt",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
    "html": "html",
    "htm": "html",
    "warc": "warc",
}
#: Formats read through main-text extraction (the optional extra dqkit[web]).
WEB_FORMATS = ("html", "warc")


@dataclass(frozen=True)
class InputFile:
    """One file to read. ``name`` is its path relative to the folder it was found in."""

    path: Path
    name: str
    format: str  # txt | jsonl | parquet | html | warc
    compression: str | None  # gz | zst | bz2 | xz | None


@dataclass(frozen=True)
class Discovery:
    files: list[InputFile]
    skipped: list[str]  # files in input folders or matched by a glob that dqkit does not read (unknown suffix)
    skipped_from_globs: tuple[str, ...] = ()  # those a glob matched (the run warns about them)


def classify(path: Path) -> tuple[str | None, str | None]:
    """Return (format, compression) from the file name, or (None, None) if unsupported."""
    parts = path.name.lower().split(".")
    compression = None
    if len(parts) > 2 and parts[-1] in COMPRESSIONS:
        compression = parts.pop()
    fmt = FORMATS.get(parts[-1]) if len(parts) > 1 else None
    if fmt == "parquet" and compression:
        return None, None  # parquet compresses internally; an outer layer is not supported
    if fmt == "warc" and compression not in (None, "gz"):
        return None, None  # a WARC is gzipped record by record, or not at all
    return (fmt, compression) if fmt else (None, None)


def _has_glob(arg: str) -> bool:
    return any(ch in arg for ch in "*?[")


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def discover(args: list[str]) -> Discovery:
    """Expand the INPUT arguments into a sorted, de-duplicated list of files.

    A folder is walked recursively (hidden files and folders are passed over); files
    with an unknown suffix are listed in ``skipped``, and so are those a glob matched
    (``*`` catches a PROVENANCE.md beside the data). A glob must match something, and a
    path must exist, and a file named on its own must be one dqkit reads: otherwise the
    command line is wrong (:class:`OptionsError`).
    """
    files: dict[Path, InputFile] = {}
    skipped: list[str] = []
    from_globs: list[str] = []
    for arg in args:
        globbed = _has_glob(arg) and not Path(arg).exists()
        if globbed:
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise OptionsError(f"no file matches {arg!r}")
            paths = [Path(m) for m in matches]
        else:
            paths = [Path(arg)]
        for path in paths:
            if globbed and path.is_file() and classify(path)[0] is None:
                skipped.append(str(path))
                from_globs.append(str(path))
                continue
            if not path.exists():
                raise OptionsError(f"input path does not exist: {path}")
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if not p.is_dir()):
                    rel = child.relative_to(path)
                    if _is_hidden(rel):
                        continue
                    if not child.is_file():  # a FIFO, socket or device: never opened
                        skipped.append(str(child))
                        continue
                    fmt, comp = classify(child)
                    if fmt is None:
                        skipped.append(str(child))
                        continue
                    files.setdefault(child.resolve(), InputFile(child, rel.as_posix(), fmt, comp))
            else:
                if not path.is_file():  # opening a FIFO would block for ever
                    raise OptionsError(f"{path}: not a regular file (a FIFO, socket or device); dqkit reads files")
                fmt, comp = classify(path)
                if fmt is None:
                    raise OptionsError(
                        f"unsupported input file {path}: dqkit reads .txt, .jsonl/.ndjson, .html/.htm "
                        "(optionally .gz/.zst/.bz2/.xz), .parquet and .warc/.warc.gz"
                    )
                files.setdefault(path.resolve(), InputFile(path, path.name, fmt, comp))
    return Discovery(files=list(files.values()), skipped=skipped, skipped_from_globs=tuple(from_globs))
