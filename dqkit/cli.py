"""The ``dqkit`` command line."""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

import click

from dqkit import __version__, api
from dqkit.clean_options import CLEAN_OPTIONS
from dqkit.detect.mt_model import HUMAN, MT, default_model, load_model_file
from dqkit.errors import DqkitError, OptionsError
from dqkit.github import annotation
from dqkit.interrupts import Interrupted, stop_on_signals
from dqkit.io.labelled import read_labelled
from dqkit.report.diff import diff_reports, has_changes, render_diff_markdown
from dqkit.report.gate_views import (
    render_check_markdown,
    render_github,
    render_text,
    write_junit,
)
from dqkit.report.gates import GateError, evaluate, exit_code, load_gates
from dqkit.report.metrics import load_report
from dqkit.rules.config import find_config
from dqkit.rules.corpus import rule_hits_on_corpus, suggest_rules
from dqkit.rules.diagnostics import render
from dqkit.rules.examples import check_rule
from dqkit.rules.explain import explain_rule
from dqkit.rules.loading import collect_rules, load_rules
from dqkit.rules.suggest import render_rule_file


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dqkit")
def cli() -> None:
    """dqkit: clean, audit and deduplicate text corpora."""


@cli.command(
    params=[
        click.Argument(["inputs"], nargs=-1, required=True),
        click.Option(
            ["-o", "--out", "out"],
            required=True,
            type=click.Path(path_type=Path),
            help="Output folder (created; must be empty unless --overwrite).",
        ),
        *CLEAN_OPTIONS,
    ]
)
def clean(inputs, out, **options) -> None:
    """Clean INPUTS (folders of .txt, .jsonl[.gz|.zst|.bz2|.xz], .parquet, .html and .warc[.gz], or globs) into OUT.

    OUT receives clean.*, rejects.*, edits.parquet, report.json, report.md, report.html and
    timings.json. The same run from Python: dqkit.clean(inputs, out, **options).
    """
    with stop_on_signals():  # SIGINT, SIGTERM: workers stopped, finished shards kept, one line, 130/143
        report = api.clean(list(inputs), out, **options).report
    docs = report["documents"]
    if not options["quiet"]:
        click.echo(
            f"{docs['in']} documents: {docs['kept']} kept, {docs['rejected']} rejected; "
            f"{report['lines']['removed']} lines removed -> {out}",
            err=True,
        )


@cli.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("head", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changed (like git diff --exit-code).")
def diff(base, head, fmt, exit_code) -> None:
    """Compare two report.json files (or folders holding one): every metric and rule
    before/after/delta, rules that appeared or vanished or whose definition changed, and
    sample lines that are new in HEAD. Exit 0, or 2 when a report cannot be read."""
    comparison = diff_reports(load_report(base), load_report(head))
    if fmt == "json":
        click.echo(json.dumps(comparison, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(render_diff_markdown(comparison, str(base), str(head)), nl=False)
    if exit_code and has_changes(comparison):
        sys.exit(1)


@cli.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    default=None,
    help="Baseline report.json for conditions on delta, abs_delta and delta_pct.",
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Gate settings (dqkit.toml or pyproject.toml [tool.dqkit]) [default: found in the current folder].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github", "md"]),
    default="text",
    show_default=True,
    help="text; github (workflow annotations, 10 per level); md (a table for $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--junit",
    "junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the outcomes as JUnit XML here.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="warning: warnings fail the check too.",
)
@click.option("-v", "--verbose", is_flag=True, help="text: list the checks that passed too.")
def check(report, baseline, config, fmt, junit, fail_on, verbose) -> None:
    """Evaluate the quality gates on REPORT (a report.json or its folder).

    Exit 0: every gate passed (warnings allowed); 1: a gate failed; 2: the gates could not
    be evaluated (unreadable report or settings, unknown metric, missing baseline).
    """
    try:
        if config is not None and not Path(config).is_file():
            raise GateError(f"{config}: no such settings file")
        gates = load_gates(Path(config) if config else find_config(Path.cwd()))
        outcomes = evaluate(gates, load_report(report), load_report(baseline) if baseline else None)
    except DqkitError as exc:
        if fmt == "github":
            click.echo(annotation("error", str(exc), title="dqkit check"))
        raise GateError(str(exc)) from None
    verdict = exit_code(outcomes, fail_on)
    if fmt == "github":
        click.echo(render_github(outcomes, str(report)))
    elif fmt == "md":
        click.echo(render_check_markdown(outcomes, verdict, str(report), str(baseline) if baseline else None))
    else:
        click.echo(render_text(outcomes, verdict, verbose))
    if junit is not None:
        write_junit(outcomes, junit)
    sys.exit(verdict)


@cli.group()
def rules() -> None:
    """Test, lint, list and explain rules; suggest new ones from a corpus."""


def _rule_folders(paths) -> list[Path]:
    return [Path(p) for p in paths]


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-v", "--verbose", is_flag=True, help="List every example, not only failures.")
def rules_test(paths, verbose) -> None:
    """Run every rule's examples through the matcher `clean` uses.

    PATHS are rule files or folders (default: the built-in packs). Each example is
    validated, missing, noisy, wrong_span, wrong_lines, known (a todo that still fails) or
    fixed (a todo that passes: promote it). Exits 1 on any failure.
    """
    ruleset = load_rules(_rule_folders(paths), include_builtin=not paths)
    passed = failed = 0
    for rule in ruleset.rules:
        for result in check_rule(rule):
            if result.failed:
                failed += 1
            else:
                passed += 1
            if result.failed or verbose:
                label = "FAIL" if result.failed else "ok"
                detail = f" ({result.detail})" if result.detail else ""
                click.echo(
                    f"{label} {rule.id} {result.group} {result.example.where}: {result.status}{detail}: "
                    f"{result.example.text[:100]!r}"
                )
    click.echo(f"{len(ruleset.rules)} rules")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@rules.command("lint")
@click.argument("paths", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True)
@click.option(
    "--no-builtin", is_flag=True, help="Do not load the built-in packs (ids are then not checked against them)."
)
def rules_lint(paths, fmt, no_builtin) -> None:
    """Check rule files: schema, ids, languages, examples, patterns (compiled with the
    engine `clean` uses), and warnings for over-broad rules.

    PATHS are rule files or folders (default: the built-in packs). Exit 0 no errors
    (warnings allowed), 1 errors, 2 could not run.
    """
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        click.echo(f"dqkit: error: no such rule file or folder: {', '.join(missing)}", err=True)
        sys.exit(2)
    problems = collect_rules(_rule_folders(paths), include_builtin=not no_builtin, compile_builtin=True).problems
    output = render(problems.items + problems.warnings, fmt)
    if output:
        click.echo(output)
    sys.exit(1 if problems.items else 0)


@rules.command("list")
@click.option("--corpus", "corpus", multiple=True, help="Count each rule's hits on this corpus (paths or globs).")
@click.option("--text-field", default="text", show_default=True)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True), help="Extra rule folder.")
def rules_list(corpus, text_field, rule_dirs) -> None:
    """List rules: id, languages, category, action (and hits on a corpus)."""
    ruleset = load_rules(_rule_folders(rule_dirs))
    counts = rule_hits_on_corpus(list(corpus), ruleset, text_field) if corpus else {}
    header = ["id", "lang", "category", "action"] + (["hits", "documents"] if corpus else [])
    rows = [
        [r.id, ",".join(r.langs), r.category, r.action] + ([str(v) for v in counts.get(r.id, (0, 0))] if corpus else [])
        for r in ruleset.rules
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@rules.command("explain")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True), help="Extra rule folder.")
def rules_explain(rule_id, rule_dirs) -> None:
    """Show what a rule matches, where it applies, why it exists, and its examples."""
    ruleset = load_rules(_rule_folders(rule_dirs))
    found = [r for r in ruleset.rules if r.id == rule_id]
    if not found:
        close = difflib.get_close_matches(rule_id, [r.id for r in ruleset.rules], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise OptionsError(f"no rule {rule_id!r}{hint}")
    click.echo(explain_rule(found[0]))


@rules.command("suggest")
@click.argument("corpus", nargs=-1, required=True)
@click.option("--text-field", default="text", show_default=True)
@click.option("--top", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many suggestions.")
@click.option(
    "--min-articles",
    type=click.IntRange(2, None),
    default=3,
    show_default=True,
    help="A line must appear in at least this many different articles.",
)
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(exists=True),
    help="Extra rule folder (lines its rules hit are not suggested).",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the rule file here instead of printing it.",
)
def rules_suggest(corpus, text_field, top, min_articles, rule_dirs, out) -> None:
    """Suggest rules for lines that many different documents of CORPUS share and no rule
    covers, most widespread first, as a rule file ready to edit."""
    ruleset = load_rules(_rule_folders(rule_dirs))
    text = render_rule_file(suggest_rules(list(corpus), ruleset, text_field, top, min_articles))
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.group()
def mt() -> None:
    """Train and evaluate machine-translation models (the learned part of mt_score)."""


def _labelled_options(command):
    for option in reversed(
        [
            click.option("--text-field", default="text", show_default=True),
            click.option("--label-field", default="label", show_default=True, help="Holds mt or human."),
            click.option(
                "--by",
                "by_fields",
                multiple=True,
                help="Also give the figures per value of this field (e.g. domain); repeatable.",
            ),
        ]
    ):
        command = option(command)
    return command


def _print_figures(figures: dict) -> None:
    def line(name: str, f: dict) -> str:
        def share(x):
            return "-" if x is None else f"{x:.3f}"

        return (
            f"{name:30s} {f['documents']:6d} docs {f['mt']:6d} mt  AUROC {share(f['auroc'])}  "
            f"mean p {share(f['mean_probability'])}  called MT {share(f['called_mt'])}  "
            f"precision {share(f['precision'])}  recall {share(f['recall'])}"
        )

    click.echo(line("all", figures["all"]))
    for field_name, values in figures.items():
        if field_name in ("all", "method", "threshold"):
            continue
        for value, f in values.items():
            click.echo(line(f"{field_name}={value}", f))


@mt.command("train")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Model file to write."
)
@click.option("--lang", required=True, help="Language the model is for (base code, e.g. de).")
@click.option("--group-field", default="group", show_default=True, help="Same value: same source document.")
@_labelled_options
def mt_train(labelled, out, lang, group_field, text_field, label_field, by_fields) -> None:
    """Fit a model on LABELLED (JSONL: text, label mt|human, group), cross-validated by group,
    and write it with its validation figures."""
    from dqkit.detect.mt_training import train  # scipy's optimiser: only for training

    data = read_labelled(labelled, (MT, HUMAN), text_field, label_field, group_field, tuple(by_fields))
    if len(set(data.labels)) < 2:
        raise OptionsError(f"{labelled}: both labels ({MT}, {HUMAN}) are needed to train")
    about = {"trained_on": labelled.name, "trained_by": f"dqkit {__version__} mt train"}
    model = train(data.texts, data.labels, data.groups, lang.split("-")[0], data.by, about).model
    model.save(out)
    click.echo(f"cross-validated by {group_field} ({model.about['validation']['method']}):")
    _print_figures(model.about["validation"])
    click.echo(f"wrote {out}")


@mt.command("eval")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model file [default: the shipped model of --lang].",
)
@click.option("--lang", default="de", show_default=True, help="Whose shipped model, without --model.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_labelled_options
def mt_eval(labelled, model_file, lang, as_json, text_field, label_field, by_fields) -> None:
    """AUROC, and precision and recall at the model's threshold, of a model on LABELLED."""
    model = load_model_file(model_file) if model_file else default_model(lang.split("-")[0])
    if model is None:
        raise OptionsError(f"no shipped MT model for {lang!r}; give one with --model")
    from dqkit.detect.mt_training import evaluate_model

    data = read_labelled(labelled, (MT, HUMAN), text_field, label_field, None, tuple(by_fields))
    figures = evaluate_model(model, data.texts, data.labels, data.by)
    if as_json:
        click.echo(json.dumps(figures, indent=1))
    else:
        click.echo(f"threshold {model.threshold}")
        _print_figures(figures)


def main() -> None:
    # Nothing dqkit writes may be writable by others, whatever umask it was started with
    # (the mask is inherited by worker processes).
    os.umask(os.umask(0o022) | 0o022)
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
    except OSError as exc:  # unwritable or full disk, a file that vanished: say which, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"dqkit: error: {where}{exc.strerror or exc} (the output folder was not changed)", err=True)
        sys.exit(1)
    except Interrupted as exc:  # dqkit clean stopped by SIGINT or SIGTERM
        click.echo(exc.message(), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: the output folder was not changed", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
