"""Rule schema: named regex fragments, the long-regex warning, diagnostics, and a README
that documents every key of the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import write_pack
from dqkit.errors import RuleFileError
from dqkit.rules import schema
from dqkit.rules.fingerprint import rule_definition_hash
from dqkit.rules.loading import builtin_rules_dir, collect_rules, load_rules
from dqkit.rules.model import RegexMatch

HEAD = "schema: dqkit/rules@1\nlang: [de]\n"


def rule_file(body: str, top: str = "") -> str:
    """A file with one rule whose match, exceptions and fragments are ``body``."""
    return (HEAD + top + "rules:\n  - id: de.test.rule\n    message: m\n    where: {max_line_chars: 80}\n"
            + body + "    examples: {match: [Folgt uns auf Telegram], no_match: [Folgt uns nicht]}\n")


def load_one(tmp_path, text):
    write_pack(tmp_path, text)
    (rule,) = load_rules([tmp_path / "rules"], include_builtin=False).rules
    return rule


def test_fragments_join_into_the_pattern_written_in_full(tmp_path):
    top = "fragments:\n  sites: [twitter, x, telegram]\n  sites_more: ['{{sites}}', google news]\n"
    body = ("    fragments:\n      prompts: [folgen sie uns, folgt uns]\n      tail: '\\b.{0,40}'\n"
            "    match:\n      regex: '(?i)^(?:{{prompts}}) auf (?:{{sites_more}}){{tail}}$'\n"
            "    exceptions:\n      regex: ['nicht (?:{{sites}})']\n")
    written = load_one(tmp_path, rule_file(body, top))
    full = load_one(tmp_path, rule_file(
        "    match:\n      regex: '(?i)^(?:folgen sie uns|folgt uns) auf (?:twitter|x|telegram|google news)\\b.{0,40}$'\n"
        "    exceptions:\n      regex: ['nicht (?:twitter|x|telegram)']\n"))
    assert isinstance(written.match, RegexMatch)
    assert written.match.patterns == ("(?i)^(?:folgen sie uns|folgt uns) auf (?:twitter|x|telegram|google news)\\b.{0,40}$",)
    assert written.exception_regex == ("nicht (?:twitter|x|telegram)",)
    assert rule_definition_hash(written) == rule_definition_hash(full)


def test_a_whole_pattern_can_be_a_list_of_forms(tmp_path):
    body = ("    fragments:\n      forms:\n        - '^folgt uns auf telegram$'\n        - '^folgen sie uns$'\n"
            "    match:\n      regex: '{{forms}}'\n")
    assert load_one(tmp_path, rule_file(body)).match.patterns == ("^folgt uns auf telegram$|^folgen sie uns$",)


@pytest.mark.parametrize("top, body, expected", [
    ("", "    match:\n      regex: 'auf (?:{{sitez}})'\n",
     "mine.yaml:8:7: unknown fragment {{sitez}} (known here: none)"),
    ("fragments:\n  sites: [x, telegram]\n", "    match:\n      regex: 'auf (?:{{site}})'\n",
     "mine.yaml:10:7: unknown fragment {{site}} (did you mean {{sites}}?)"),
    ("fragments:\n  sites: []\n", "    match:\n      regex: 'auf'\n",
     "mine.yaml:4:3: fragment 'sites' must be a non-empty string or list of non-empty strings"),
    ("fragments:\n  sites: ''\n", "    match:\n      regex: 'auf'\n",
     "mine.yaml:4:3: fragment 'sites' must be a non-empty string"),
    ("fragments:\n  Sites: [x]\n", "    match:\n      regex: 'auf'\n",
     "mine.yaml:4:3: fragment name 'Sites' must be lowercase letters, digits and _"),
    ("fragments: [x]\n", "    match:\n      regex: 'auf'\n",
     "mine.yaml:3:1: fragments must be a mapping of names"),
    ("fragments:\n  sites: [x, telegram]\n", "    match:\n      regex: '^auf {{sites}}$'\n",
     "mine.yaml:10:7: fragment {{sites}} is a list of alternatives: put it in a group, e.g. (?:{{sites}})"),
    ("fragments:\n  sites: [x, telegram]\n", "    fragments:\n      sites: [x]\n    match:\n      regex: 'auf'\n",
     "mine.yaml:10:7: fragment 'sites' is already defined for the whole file"),
    ("", "    match:\n      regex: 'auf {{sites'\n",
     "mine.yaml:8:7: '{{' without a matching '}}'"),
    ("fragments:\n  all: '(?:{{sites}})+'\n  sites: [x, telegram]\n", "    match:\n      regex: 'auf {{all}}'\n",
     "mine.yaml:4:3: unknown fragment {{sites}} (known here: none)"),
    ("", "    exceptions:\n      regex: ['(?:{{nope}})']\n    match:\n      regex: 'auf'\n",
     "mine.yaml:8:15: unknown fragment {{nope}}"),
    ("", "    match:\n      repeat: {min_count: 2}\n      case: insensitive\n",
     "mine.yaml:9:7: case does not apply to a repeat match"),
    ("", "    match:\n      repeat: {min_count: 0}\n",  # was a TypeError, not a message
     "mine.yaml:8:16: min_count must be a whole number >= 1"),
])
def test_schema_misuse_is_an_error_at_its_position(tmp_path, top, body, expected):
    write_pack(tmp_path, rule_file(body, top))
    with pytest.raises(RuleFileError) as error:
        load_rules([tmp_path / "rules"], include_builtin=False)
    assert expected in str(error.value)


def _lint(tmp_path, dqkit, text):
    write_pack(tmp_path, text)
    run = dqkit("rules", "lint", "--no-builtin", tmp_path / "rules")
    return run, tmp_path / "rules" / "mine.yaml"


def test_lint_warns_about_each_long_written_regex_not_about_the_joined_one(tmp_path, dqkit):
    long_alternative = "|".join(f"wort{n}" for n in range(45))  # 304 characters
    short_words = ", ".join(f"wort{n}" for n in range(45))  # the same words, one alternative each
    body = ("    fragments:\n"
            f"      long: ['{long_alternative}']\n"
            f"      words: [{short_words}]\n"
            "    match:\n"
            f"      regex: ['^(?:{{{{long}}}})$', '^(?:{{{{words}}}})$', '^{'x' * 201}$']\n")
    run, path = _lint(tmp_path, dqkit, rule_file(body))
    assert run.code == 0, run.out
    warnings = [line for line in run.out.splitlines() if "characters on one line" in line]
    assert warnings == [
        f"{path}:8:14: warning: regex of 304 characters on one line (limit 200): "
        "write its alternations as fragments (rules/README.md, 'Long patterns')",
        f"{path}:11:52: warning: regex of 203 characters on one line (limit 200): "
        "write its alternations as fragments (rules/README.md, 'Long patterns')",
    ]


def test_lint_warns_about_an_unused_fragment(tmp_path, dqkit):
    run, path = _lint(tmp_path, dqkit, rule_file("    match:\n      regex: '^auf$'\n", "fragments:\n  spare: [x, y]\n"))
    assert f"{path}:4:3: warning: fragment 'spare' is not used" in run.out


def test_builtin_packs_lint_clean():
    problems = collect_rules([], compile_builtin=True).problems
    assert [str(d) for d in problems.items + problems.warnings] == []


def test_diagnostics_are_objects_to_the_printer(tmp_path, dqkit):
    folder = tmp_path / "a,b"
    folder.mkdir()
    (folder / "mine.yaml").write_text(rule_file("    match:\n      regex: 'auf (?:{{nope}})'\n"), encoding="utf-8")
    data = json.loads(dqkit("rules", "lint", "--no-builtin", "--format", "json", folder).out)
    assert data == [{"path": str(folder / "mine.yaml"), "line": 8, "col": 7, "level": "error",
                     "message": "unknown fragment {{nope}} (known here: none)"}]
    github = dqkit("rules", "lint", "--no-builtin", "--format", "github", folder).out.strip()
    escaped = str(folder / "mine.yaml").replace(":", "%3A").replace(",", "%2C")
    assert github == f"::error file={escaped},line=8,col=7::unknown fragment {{{{nope}}}} (known here: none)"


def test_readme_documents_every_key_of_the_schema():
    readme = (builtin_rules_dir() / "README.md").read_text(encoding="utf-8")
    fields = readme.split("## Fields")[1].split("\n## ")[0]
    documented = {name for row in fields.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])}
    expected = {
        *schema.FILE_KEYS,
        *schema.RULE_KEYS,
        *(f"match.{k}" for k in schema.MATCH_KEYS),
        *(f"match.repeat.{k}" for k in schema.REPEAT_KEYS),
        *(f"where.{k}" for k in schema.WHERE_KEYS),
        *(f"where.position.{k}" for k in schema.POSITION_KEYS),
        *(f"exceptions.{k}" for k in schema.EXCEPTION_KEYS),
        *(f"examples.{k}" for k in schema.EXAMPLE_KEYS),
        *(f"example.{k}" for k in schema.EXAMPLE_ITEM_KEYS),
    }
    nested = {"match", "exceptions", "where", "examples"}  # documented through their keys
    assert expected - nested <= documented, sorted(expected - nested - documented)
    assert documented <= expected, sorted(documented - expected)


def test_no_builtin_regex_line_is_longer_than_a_reviewer_reads():
    longest = max((len(line), str(path)) for path in Path(builtin_rules_dir()).rglob("*.yaml")
                  for line in path.read_text(encoding="utf-8").splitlines())
    assert longest[0] <= 200, longest
