"""``dqkit diff`` and ``dqkit check``: reports compared and gated as CI does it."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import REPO, SEEDS, write_jsonl, write_pack
from dqkit.report.metrics import load_report, metrics

BODY = ("Die Regierung hat am Dienstag ein neues Gesetz vorgestellt, das die Förderung von Solaranlagen "
        "auf Dächern vereinfachen soll. Kritiker bemängeln die hohen Kosten für Mieter.")
OTHER = ("Der Stadtrat beriet über den Haushalt des kommenden Jahres und beschloss nach langer Debatte "
         "eine Erhöhung der Mittel für Schulen und Kindergärten in allen Bezirken.")

PACK = """\
schema: dqkit/rules@1
lang: [de]
rules:
  - id: de.custom.promo
    message: Promo line
    match: {{phrases: [{promo}], anchor: full_line}}
    examples: {{match: ["Jetzt im Shop"], no_match: ["Jetzt im Shop gibt es mehr, sagt die Händlerin."]}}
  - id: de.custom.newsletter
    message: Newsletter line
    match: {{phrases: ["Abonnieren Sie unseren Newsletter"], anchor: full_line}}
    examples: {{match: ["Abonnieren Sie unseren Newsletter"], no_match: ["Wer den Newsletter liest, weiß mehr."]}}
"""


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "docs.jsonl", [
        {"id": "a", "text": f"{BODY}\nJetzt im Shop\nAbonnieren Sie unseren Newsletter"},
        {"id": "b", "text": f"{OTHER}\nJetzt kaufen\nAbonnieren Sie unseren Newsletter"},
    ])
    return folder


def _clean(dqkit, corpus: Path, out: Path, pack_dir: Path, *extra) -> Path:
    result = dqkit("clean", corpus, "-o", out, "--no-builtin-rules", "--rules", pack_dir, "--no-langid", "-q", *extra)
    assert result.code == 0, result.err
    return out


@pytest.fixture
def two_runs(tmp_path, dqkit, monkeypatch):
    """BASE and HEAD of the same corpus where only the promo rule changed (it also hits 'Jetzt kaufen')."""
    monkeypatch.chdir(tmp_path)  # no settings file of the repo is picked up
    corpus = _corpus(tmp_path)
    pack = write_pack(tmp_path, PACK.format(promo='"Jetzt im Shop"'))
    base = _clean(dqkit, corpus, tmp_path / "base", pack.parent)
    pack.write_text(PACK.format(promo='"Jetzt im Shop", "Jetzt kaufen"'), encoding="utf-8")
    head = _clean(dqkit, corpus, tmp_path / "head", pack.parent)
    return base, head


def test_the_rules_fingerprint_follows_the_rules_not_the_layout_of_their_file(tmp_path):
    from dqkit.report.summary import rules_fingerprint
    from dqkit.rules.loading import load_rules

    def fingerprint(text: str) -> str:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        pack = write_pack(folder, text)
        return rules_fingerprint(load_rules([pack.parent], include_builtin=False))

    original = PACK.format(promo='"Jetzt im Shop"')
    relaid = "# the same rules, laid out anew\n" + original.replace("message: Promo line", "message:   'Promo line'  # why")
    assert fingerprint(relaid) == fingerprint(original)
    assert fingerprint(original.replace("Promo line", "Promo lines")) != fingerprint(original)
    assert fingerprint(PACK.format(promo='"Jetzt im Shop", "Jetzt kaufen"')) != fingerprint(original)


def test_a_change_to_one_rule_shows_as_exactly_that_rules_change(two_runs, dqkit):
    base, head = two_runs
    result = dqkit("diff", base / "report.json", head / "report.json", "--format", "json")
    assert result.code == 0, result.err
    diff = json.loads(result.out)
    summary = diff["summary"]
    assert summary["rules_changed"] == ["de.custom.promo"]
    assert summary["definitions_changed"] == ["de.custom.promo"]
    assert summary["rules_appeared"] == summary["rules_vanished"] == []
    promo = diff["rules"]["de.custom.promo"]
    assert (promo["hits"]["base"], promo["hits"]["head"], promo["hits"]["delta"]) == (1, 2, 1)
    assert [s["text"] for s in promo["new_samples"]] == ["Jetzt kaufen"]
    assert diff["rules"]["de.custom.newsletter"]["status"] == "unchanged"
    assert diff["rules"]["de.custom.newsletter"]["new_samples"] == []
    assert diff["provenance"]["rule packs"]["changed"] and not diff["provenance"]["corpus"]["changed"]
    assert diff["metrics"]["lines.removed"]["delta"] == 1

    markdown = dqkit("diff", base, head).out
    assert "| de.custom.promo | changed | changed | 1 → 2 (+1)" in markdown
    assert "de.custom.newsletter" not in markdown  # unchanged rules are not listed
    assert "Jetzt kaufen" in markdown


def test_diff_of_a_report_with_itself_is_empty_and_exit_code_flags_changes(two_runs, dqkit):
    base, head = two_runs
    same = dqkit("diff", base, base, "--exit-code")
    assert same.code == 0 and "No metric and no rule changed." in same.out
    assert dqkit("diff", base, head, "--exit-code").code == 1


def test_vanished_and_appeared_rules(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = _corpus(tmp_path)
    pack = write_pack(tmp_path, PACK.format(promo='"Jetzt im Shop"'))
    base = _clean(dqkit, corpus, tmp_path / "base", pack.parent)
    pack.write_text(PACK.format(promo='"Jetzt im Shop"').replace("de.custom.newsletter", "de.custom.abo"))
    head = _clean(dqkit, corpus, tmp_path / "head", pack.parent)
    summary = json.loads(dqkit("diff", base, head, "--format", "json").out)["summary"]
    assert (summary["rules_vanished"], summary["rules_appeared"], summary["rules_changed"]) == (
        ["de.custom.newsletter"], ["de.custom.abo"], [])


def test_diff_names_an_unreadable_report(tmp_path, dqkit):
    broken = tmp_path / "report.json"
    broken.write_text('{\n  "documents": {\n  oops\n}')
    result = dqkit("diff", broken, broken)
    assert result.code == 2 and f"{broken}:3: not valid JSON" in result.err
    assert dqkit("diff", tmp_path / "missing.json", broken).code == 2
    (tmp_path / "other.json").write_text('{"hello": 1}')
    assert "not a dqkit report" in dqkit("diff", tmp_path / "other.json", tmp_path / "other.json").err


def _settings(tmp_path: Path, gates: str) -> Path:
    path = tmp_path / "dqkit.toml"
    path.write_text(gates, encoding="utf-8")
    return path


REJECT_RISE = """
[[gates]]
id = "rejected-share-rise"
metric = "documents.rejected_pct"
error_if = "delta > 2"
"""


@pytest.fixture
def rejecting_runs(tmp_path, dqkit, monkeypatch):
    """A baseline that rejects nothing, and a head that rejects a duplicate (1 of 3 documents)."""
    monkeypatch.chdir(tmp_path)
    base_in, head_in = tmp_path / "base_in", tmp_path / "head_in"
    base_in.mkdir(), head_in.mkdir()
    write_jsonl(base_in / "d.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": OTHER}])
    write_jsonl(head_in / "d.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": OTHER}, {"id": "c", "text": BODY}])
    base = tmp_path / "base"
    head = tmp_path / "head"
    for folder, out in ((base_in, base), (head_in, head)):
        assert dqkit("clean", folder, "-o", out, "--no-langid", "-q").code == 0
    return base, head


def test_check_exit_codes(rejecting_runs, tmp_path, dqkit):
    base, head = rejecting_runs
    # 0: the built-in gates pass; a settings file with a relative gate, compared with itself, passes
    assert dqkit("check", head).code == 0
    _settings(tmp_path, REJECT_RISE)
    assert dqkit("check", base, "--baseline", base).code == 0
    # 1: a third of the documents rejected is a rise of 33 points over the baseline
    failed = dqkit("check", head, "--baseline", base)
    assert failed.code == 1
    assert "FAIL  rejected-share-rise: documents.rejected_pct = 33.3333 (baseline 0, Δ +33.3333)" in failed.out
    # 2: the relative gate without a baseline, a missing baseline, an unreadable report
    no_base = dqkit("check", head)
    assert no_base.code == 2 and "pass --baseline" in no_base.out
    assert dqkit("check", head, "--baseline", tmp_path / "nope.json").code == 2
    (tmp_path / "broken.json").write_text("{")
    assert dqkit("check", tmp_path / "broken.json").code == 2


def test_warnings_pass_unless_fail_on_warning_and_informational_never_fails(rejecting_runs, tmp_path, dqkit):
    base, head = rejecting_runs
    _settings(tmp_path, '[[gates]]\nid = "some-rejected"\nmetric = "documents.rejected"\nwarn_if = "> 0"\n'
                        '[[gates]]\nid = "drift"\nmetric = "documents.*"\nerror_if = "abs_delta > 0"\ninformational = true\n')
    warned = dqkit("check", head, "--baseline", base)
    assert warned.code == 0, warned.out
    assert "WARN  some-rejected: documents.rejected = 1" in warned.out
    assert "FAIL  drift[documents.in]" in warned.out and "(informational)" in warned.out
    assert dqkit("check", head, "--baseline", base, "--fail-on", "warning").code == 1


def test_corpus_not_empty_is_always_checked(rejecting_runs, tmp_path, dqkit):
    base, _ = rejecting_runs
    report = json.loads((base / "report.json").read_text())
    report["documents"].update({"in": 0, "kept": 0, "rejected": 0, "rejected_by_reason": {}})
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(report))
    result = dqkit("check", empty)
    assert result.code == 1 and "FAIL  corpus-not-empty: documents.in = 0" in result.out
    report["documents"].update({"in": 3, "kept": 1, "rejected": 1, "balanced": False})
    empty.write_text(json.dumps(report))
    assert "FAIL  nothing-lost" in dqkit("check", empty).out


@pytest.mark.parametrize("gates, message", [
    ('[[gates]]\nid = "x"\nmetric = "documents.nope"\nerror_if = "> 1"\n', "metric documents.nope is not in the report"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "more than 1"\n', "cannot read condition 'more than 1'"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "> 1"\nthreshold = 3\n', "unknown key(s) threshold"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\n', "give error_if, warn_if or both"),
    ('[[gates]]\nid = "corpus-not-empty"\nmetric = "documents.in"\nerror_if = "> 1"\n', "already defined"),
    ('gates = "no"\n', "array of tables"),
    ('[[gates]\n', "not valid TOML"),
])
def test_gates_that_cannot_be_evaluated_exit_2_with_the_reason(rejecting_runs, tmp_path, dqkit, gates, message):
    _, head = rejecting_runs
    _settings(tmp_path, gates)
    result = dqkit("check", head)
    assert result.code == 2
    assert message in result.out + result.err


def _set(path: str, value):
    """A change to a report: the value at a dotted path (None: the key removed)."""
    def change(report: dict) -> dict:
        *parents, last = path.split(".")
        target = report
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
        return report
    return change


@pytest.mark.parametrize("change, message", [
    (lambda r: [r], "not a dqkit report: the report is a list, not an object"),
    (_set("documents", "five"), "documents is a string, not an object"),
    (_set("rules", None), "rules is missing"),
    (_set("documents.in", "5"), "documents.in is a string, not a number"),
    (_set("documents.kept", True), "documents.kept is true, not a number"),
    (_set("documents.in", 10 ** 400), "documents.in is a number too large"),
    (_set("documents.balanced", "yes"), "documents.balanced is a string, not true or false"),
    (_set("lines", True), "lines is true, not an object"),
    (_set("documents.rejected_by_reason", [1]), "documents.rejected_by_reason is a list, not an object"),
    (_set("mt.signals", {"doubled_quote": 3}), "mt.signals.doubled_quote is a number, not an object"),
    (lambda r: {**r, "rule_hits": {"de.custom.x": {"hits": 1, "samples": [{"text": "a"}]}}},
     "rule_hits.de.custom.x.samples[0].doc_id is missing"),
    (_set("lengths.before", "abc"), "lengths.before is a string, not a list"),
    (_set("rules.definitions", ["a"]), "rules.definitions is a list, not an object"),
    (_set("inputs", []), "inputs is a list, not an object"),
    (lambda r: "[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
    (lambda r: "", "an empty file, not JSON"),
    (lambda r: b'{"documents": "caf\xe9"}', "not UTF-8 text"),
    (lambda r: "directory", ("report.json/report.json: no such report", "report.json: cannot read it (Is a directory)")),
])
def test_a_report_of_the_wrong_shape_is_one_clear_error(rejecting_runs, tmp_path, dqkit, change, message):
    """Every key check, diff and the gates read is checked for its type when the report is
    read: a wrong one is ``dqkit: error: FILE: ...`` and exit 2, in every place a report goes."""
    base, head = rejecting_runs
    report = json.loads((head / "report.json").read_text())
    content = change(report)
    bad = tmp_path / "bad" / "report.json"
    bad.parent.mkdir()
    if content == "directory":
        bad.mkdir()
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content if isinstance(content, str) else json.dumps(content))
    for args in (("check", bad), ("check", head, "--baseline", bad), ("diff", base, bad),
                 ("diff", bad, head, "--format", "json"), ("check", bad.parent)):
        result = dqkit(*args)
        assert result.code == 2, (args, result)
        expected = message if isinstance(message, tuple) else (message,)
        assert result.err.startswith(f"dqkit: error: {bad}") and any(m in result.err for m in expected), result.err
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err + result.out


@pytest.mark.parametrize("settings, message", [
    ('gate = []\n', "unknown setting(s) gate (known: rules, gates)"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = 5\n', ":1: gate 1 (x): error_if must be a string"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "> 1"\ninformational = "no"\n',
     ":1: gate 1 (x): informational must be a boolean such as true, not 'no'"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "> 1"\ndescription = 5\n',
     "description must be a string"),
    ('[[gates]]\nid = "a"\nmetric = "documents.in"\nerror_if = "> 1"\n\n[[gates]]\nid = ""\n'
     'metric = "documents.in"\nerror_if = "> 1"\n', ":6: gate 2 (): 'id' and 'metric' are required, non-empty"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\n[gates.error_if]\nop = ">"\n', "error_if must be a string"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "> 1 and"\n', "cannot read condition '> 1 and'"),
    ('[[gates]]\nid = "x"\nmetric = "documents.in"\nerror_if = "> ' + "9" * 400 + '"\n', "is too large a number"),
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML (nested too deeply)"),
    (b'[[gates]]\nid = "caf\xe9"\n', "not UTF-8 text"),
    ('[tool]\ndqkit = "x"\n', "tool.dqkit must be a table"),
])
def test_a_settings_file_of_the_wrong_shape_is_one_clear_error(rejecting_runs, tmp_path, dqkit, settings, message):
    _, head = rejecting_runs
    path = tmp_path / ("pyproject.toml" if "[tool]" in str(settings) else "gates.toml")
    path.write_bytes(settings if isinstance(settings, bytes) else settings.encode())
    result = dqkit("check", head, "--config", path)
    assert result.code == 2 and result.err.startswith(f"dqkit: error: {path}") and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err + result.out


def test_github_annotations_are_capped_with_a_count_of_the_rest(rejecting_runs, tmp_path, dqkit):
    base, head = rejecting_runs
    _settings(tmp_path, '[[gates]]\nid = "every-metric"\nmetric = "*"\nerror_if = ">= 0"\n'
                        '[[gates]]\nid = "w"\nmetric = "documents.in"\nwarn_if = "> 0"\n')
    result = dqkit("check", head, "--format", "github", "--junit", tmp_path / "junit.xml")
    assert result.code == 1
    lines = result.out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10 and errors[0].startswith("::error file=")
    assert sum(line.startswith("::warning ") for line in lines) == 1
    failing = len(metrics(load_report(head)))  # every metric of the report fails ">= 0"
    notice = [line for line in lines if line.startswith("::notice")]
    assert len(notice) == 1 and notice[0].endswith(f"::{failing - 10} more gate annotations; "
                                                    "run dqkit check without --format github to see all")

    suite = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 10
    assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases) > 10
    assert {"corpus-not-empty", "w"} <= {case.get("name") for case in cases}


def test_project_ci_seeds_pass_the_gates_against_the_committed_baseline(tmp_path, dqkit, monkeypatch):
    """What the project's CI does: clean the seeds, check them against reports/seeds/report.json
    with the gates in pyproject.toml."""
    monkeypatch.chdir(REPO)
    out = tmp_path / "seeds-out"
    assert dqkit("clean", SEEDS.relative_to(REPO), "-o", out, "-q").code == 0
    result = dqkit("check", out, "--baseline", "reports/seeds/report.json", "--junit", tmp_path / "j.xml")
    assert result.code == 0, result.out
    assert "dqkit check passed" in result.out
    names = {case.get("name") for case in ElementTree.parse(tmp_path / "j.xml").getroot().iter("testcase")}
    assert {"corpus-not-empty", "nothing-lost", "rejected-share"} <= names


def test_report_md_tables_are_capped_with_a_pointer_to_the_full_report(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"doc{n:03}.txt").write_text(f"Meldung {n}: {BODY} Nummer {n} von sechzig.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert dqkit("clean", folder, "-o", out, "--no-langid", "--no-dedup", "-q").code == 0
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "10 more rows in report.json." in markdown
    assert "doc049.txt" in markdown and "doc050.txt" not in markdown
    assert len(json.loads((out / "report.json").read_text())["inputs"]["files"]) == 60


def test_a_check_error_in_github_format_cannot_inject_a_workflow_command(tmp_path, dqkit):
    """The error of an unreadable report names its path; a path with a line break and ``::``
    stays inside the one ``::error`` command (escaped as GitHub asks)."""
    report = tmp_path / "bad\n::warning::injected"
    report.write_text("not json")
    result = dqkit("check", report, "--format", "github")
    assert result.code == 2
    commands = [line for line in result.out.splitlines() if line.startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error title=dqkit check::")
    assert "%0A::warning::injected" in commands[0]
