"""``dqkit rules explain``: a rule in words, for the person deciding whether to trust it."""

from __future__ import annotations

from dqkit.rules.model import PhraseMatch, RegexMatch, RepeatMatch, Rule


def _where(rule: Rule) -> list[str]:
    parts = []
    if rule.head_lines is not None:
        parts.append(f"the first {rule.head_lines} non-blank lines")
    if rule.tail_lines is not None:
        parts.append(f"the last {rule.tail_lines} non-blank lines")
    limits = " or ".join(parts) if parts else "any line"
    if rule.max_line_chars is not None:
        limits += f", at most {rule.max_line_chars} characters long"
    if rule.min_line_chars is not None:
        limits += f", at least {rule.min_line_chars} characters long"
    return [f"where:     {limits}"]


def _matches(rule: Rule) -> list[str]:
    match rule.match:
        case (
            RegexMatch(patterns=patterns, case=case, anchor=anchor)
            | PhraseMatch(phrases=patterns, case=case, anchor=anchor)
        ):
            return [
                f"matches:   {rule.match.kind} ({case}, anchor {anchor}):",
                *(f"             {p}" for p in patterns),
            ]
        case RepeatMatch(min_count=count, within_first_lines=window, min_chars=chars):
            return [
                f"matches:   a line of at least {chars} characters repeated (at least {count} times) "
                f"within the first {window} non-blank lines; every copy after the first"
            ]


def explain_rule(rule: Rule) -> str:
    """A plain-text description of ``rule``.

    The output names the rule's file and line, what it matches and where, what it does,
    and its examples.
    """
    lines = [f"{rule.id}  (version {rule.version}, {rule.status})", f"defined:   {rule.where}"]
    if rule.title:
        lines.append(f"title:     {rule.title}")
    lines.append(f"message:   {rule.message}")
    if rule.description:
        lines.append(f"why:       {rule.description.strip()}")
    lines.append(f"languages: {', '.join(rule.langs)}")
    lines.extend(_matches(rule))
    lines.extend(_where(rule))
    if rule.exception_regex or rule.exception_phrases:
        lines.append("unless:    " + "; ".join([*rule.exception_regex, *rule.exception_phrases]))
    lines.append(f"action:    {rule.action} (severity {rule.severity})")
    if rule.action == "drop_span":
        end = "start" if getattr(rule.match, "anchor", "") == "line_start" else "end"
        lines.append(
            f"cuts:      the matched span at the {end} of the line; the rest stays "
            "(no cut where only white space and punctuation would be left)"
        )
    for group, examples in rule.examples.items():
        for example in examples:
            text = example.text.replace("\n", "\n             ")
            suffix = f"  [lines {list(example.lines)}]" if example.lines is not None else ""
            lines.append(f"{group + ':':<10} {text}{suffix}")
    return "\n".join(lines)
