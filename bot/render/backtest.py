"""`rule backtest` and `rule test` answers: what a rule would have sent over history, and
the alert it would post now, drawn without posting or storing anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.render import fmt
from bot.render.alert import fired
from bot.render.blocks import context, divider, escape, reply, section
from bot.render.rule_card import backtest_summary, threshold_text
from bot.reply import Reply
from rules.model import Rule
from rules.notification import Notification
from rules.replay import BacktestResult
from rules.thresholds import Finding

MESSAGES_SHOWN = 40


def backtest_reply(rule: Rule, result: BacktestResult) -> Reply:
    """`rule backtest NAME`: the summary, then every message it would have sent."""
    lines = []
    for at, note in result.messages[:MESSAGES_SHOWN]:
        group = f" {escape(note.group)}" if note.group is not None else ""
        value = f" — {threshold_text(rule, note.value)}" if note.value is not None else ""
        lines.append(f"{fmt.local(at, rule.tz, '%b %d %H:%M')} · {note.kind.value}{group}{value}")
    if len(result.messages) > MESSAGES_SHOWN:
        lines.append(f"_… and {len(result.messages) - MESSAGES_SHOWN} more_")
    blocks = [section(f"*Rule `{rule.name}`* — {backtest_summary(rule, result)}")]
    if lines:
        blocks.append(section("\n".join(lines)))
    blocks.append(
        context(
            f"{fmt.window_span(result.window)} · replayed with the live "
            "evaluator and state machine; silences are not replayed"
        )
    )
    return reply(blocks, {"messages": len(result.messages), "fired": len(result.episodes)})


def test_reply(rule: Rule, findings: Sequence[Finding], note: Notification | None) -> Reply:
    """`rule test`: the alert as it would read now (buttons left out: nothing is real)."""
    head = f"🧪 *Test of `{rule.name}`* — nothing was posted or stored."
    if note is None:
        return reply([section(f"{head} No data to evaluate in the window.")])
    alert = [b for b in fired(note, rule).blocks if b.get("type") != "actions"]
    lines = []
    for f in findings[:10]:
        name = "" if f.group is None else f"{escape(f.group)}: "
        if f.no_data:
            lines.append(f"{name}no verdict ({escape(f.reason)})")
            continue
        verdict = "breaching" if f.breaching else "not breaching"
        value = threshold_text(rule, f.value or 0.0)
        lines.append(f"{name}{value} vs {threshold_text(rule, f.threshold)} — {verdict}")
    blocks = [
        section(f"{head} The alert as <#{rule.channel}> would read it now:"),
        divider(),
        *alert,
        divider(),
        section("\n".join(lines)),
        context(
            "In the channel it carries Silence 1h / 4h / 24h, Unsilence and Show records buttons."
        ),
    ]
    return reply(
        blocks,
        {
            "findings": [
                {"group": f.group, "value": f.value, "breaching": f.breaching} for f in findings
            ]
        },
    )
