"""The ``dqkit`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dqkit import __version__
from dqkit.detect.language import DEFAULT_PREFIX_CHARS
from dqkit.errors import DqkitError
from dqkit.pipeline import CleanOptions, run_clean
from dqkit.progress import Progress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dqkit")
def cli() -> None:
    """dqkit: clean, audit and deduplicate text corpora."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder (created; must be empty unless --overwrite).")
@click.option("--text-field", default="text", show_default=True, help="Field holding the document text.")
@click.option("--id-field", default="id", show_default=True,
              help="Field holding the document id (missing: ids are made from file and line).")
@click.option("--lang-field", default="lang", show_default=True,
              help="Field holding a known language; where set, language detection is skipped.")
@click.option("--output-format", type=click.Choice(["jsonl", "parquet"]), default=None,
              help="Format of clean.* and rejects.* [default: parquet for Parquet input, else jsonl].")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True),
              help="Extra rule folder or file (repeatable); loaded after the built-in packs.")
@click.option("--no-builtin-rules", is_flag=True, help="Use only the --rules folders.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Rule settings (dqkit.toml or pyproject.toml [tool.dqkit]) [default: found in the current folder].")
@click.option("--on-error", type=click.Choice(["stop", "skip"]), default="stop", show_default=True,
              help="On an unreadable record: stop with file:line, or reject it and go on.")
@click.option("--no-langid", is_flag=True, help="Do not detect languages (lang stays empty unless given).")
@click.option("--lang-prefix-chars", type=click.IntRange(50, 100_000), default=DEFAULT_PREFIX_CHARS,
              show_default=True, help="How much of the cleaned text language detection reads.")
@click.option("--max-removed", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Reject a document when rules removed more than this share of its characters.")
@click.option("--no-dedup", is_flag=True, help="Keep exact duplicates.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def clean(inputs, out, text_field, id_field, lang_field, output_format, rule_dirs, no_builtin_rules, config,
          on_error, no_langid, lang_prefix_chars, max_removed, no_dedup, overwrite, quiet) -> None:
    """Clean INPUTS (folders of .txt, .jsonl[.gz|.zst|.bz2|.xz], .parquet, or globs) into OUT.

    OUT receives clean.*, rejects.*, edits.parquet, report.json, report.md and timings.json.
    """
    options = CleanOptions(
        text_field=text_field, id_field=id_field, lang_field=lang_field, on_error=on_error,
        output_format=output_format, rule_dirs=tuple(rule_dirs), builtin_rules=not no_builtin_rules,
        detect_language=not no_langid, lang_prefix_chars=lang_prefix_chars,
        max_removed_fraction=max_removed, dedup="none" if no_dedup else "exact", overwrite=overwrite,
        config=config,
    )
    progress = Progress.for_terminal(quiet)
    report = run_clean(list(inputs), out, options, progress)
    docs = report["documents"]
    if not quiet:
        click.echo(f"{docs['in']} documents: {docs['kept']} kept, {docs['rejected']} rejected; "
                   f"{report['lines']['removed']} lines removed -> {out}", err=True)


def main() -> None:
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DqkitError as exc:
        click.echo(f"dqkit: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: the output folder was not changed", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
