"""Every message the rule, budget, digest and silence commands show when something is wrong.

Each names the token that went wrong and says what is allowed; a did-you-mean is offered
only when a guess is close. (Cards and answers are drawn in bot/rule_render.py.)
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.model import Metric

MAX_REASON = 200
EXAMPLE_RULE = "`rule add runaway-spend when cost > 50 per 1h`"
METRIC_WORDS = {
    Metric.COST: "cost (USD)",
    Metric.WASTED_COST: "wasted spend (USD)",
    Metric.COST_PER_IMAGE: "cost per image (USD)",
    Metric.ERROR_RATE: "an error rate",
    Metric.ERRORS: "a number of errors",
    Metric.IMAGES: "a number of images",
    Metric.SHORTFALL: "a number of images short",
    Metric.CHANGE: "a change (%)",
    Metric.ANOMALY: "an anomaly",
    Metric.NEW_VALUE: "spend on a new value (USD)",
}


def _guess(guess: str | None) -> str:
    return f" — did you mean `{guess}`?" if guess else "."


def _listed(items: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


# -- words ---------------------------------------------------------------------------


def needs_name(what: str, example: str) -> str:
    return f"This needs a {what} name, e.g. `{example}`."


def bad_name(token: str, what: str) -> str:
    return (
        f"`{token}` cannot be a {what} name: use lower-case letters, digits, `-` and `_` "
        "(up to 63, starting with a letter or digit), e.g. `runaway-spend`."
    )


def bad_span(phrase: str) -> str:
    return f"`{phrase}`: expected a span such as `5m`, `1h`, `2 hours` or `7d`."


def not_an_amount(token: str, what: str) -> str:
    return f"`{token}` is not an amount for {what}: write dollars, e.g. `50`, `$50` or `$1,250`."


def bad_count(token: str, what: str, low: int, high: int) -> str:
    return f"`{token}`: {what} must be a whole number from {low:,} to {high:,}."


def not_a_percent(token: str, what: str) -> str:
    return f"`{token}` is not a percentage for {what}: write it like `5%`."


def bad_clock(phrase: str) -> str:
    return f"`{phrase}`: expected a local time such as `09:00`, `17:30` or `9am`."


def bad_weekday(token: str, guess: str | None) -> str:
    return f"`{token}` is not a weekday{_guess(guess)} Use `mon`, `tue`, … `sun`."


def bad_channel(token: str) -> str:
    return (
        f"`{token}` is not a channel I can post to: pick it with `#` in Slack (it arrives as "
        "a link), or give its id, e.g. `in #C0123ABCD`."
    )


def option_twice(word: str) -> str:
    return f"`{word}` is given twice: keep one."


def option_needs(what: str, example: str) -> str:
    return f"Expected {what} here, e.g. `{example}`."


def out_of_range(phrase: str, low: str, high: str) -> str:
    return f"`{phrase}`: must be from {low} to {high}."


def extra_words(token: str, phrase: str) -> str:
    return f"Unexpected `{token}` after `{phrase}`."


def unknown_verb(command: str, token: str, guess: str | None, verbs: Iterable[str]) -> str:
    return f"Unknown `{command} {token}`{_guess(guess)} Try: {_listed(verbs)}."


def not_understood(token: str, what: str, guess: str | None, options: Iterable[str]) -> str:
    return (
        f"`{token}` is not understood in a {what}{_guess(guess)} Besides filters "
        f"(`/imgmetrics help filters`), a {what} takes {_listed(options)}."
    )


# -- rules ---------------------------------------------------------------------------


def rule_needs_verb(verbs: Iterable[str]) -> str:
    return f"`rule` needs one of {_listed(verbs)}, e.g. {EXAMPLE_RULE}."


def add_needs_when(name: str, token: str | None) -> str:
    seen = f" (not `{token}`)" if token else ""
    return f"`rule add {name}` needs `when` and a condition next{seen}, e.g. {EXAMPLE_RULE}."


def when_needs(token: str | None = None) -> str:
    seen = f"`{token}` is not a condition. " if token else ""
    return (
        f"{seen}After `when`: `cost > 50`, `error-rate > 5%`, `errors > 10`, `images > 1000`, "
        "`cost-per-image > 0.1`, `wasted > 20`, `cost rises 50% vs last week`, "
        "`cost anomaly` or `new model`."
    )


def condition_needs_op(phrase: str) -> str:
    return f"`{phrase}`: compare with `>`, `>=`, `<` or `<=`, e.g. `cost > 50`."


def unknown_metric(token: str, word: str, guess: str | None) -> str:
    return (
        f"`{word}` in `{token}` is not something a rule can watch{_guess(guess)} "
        "Rules watch cost, error-rate, errors, images, cost-per-image, wasted and shortfall."
    )


def change_needs_baseline(phrase: str) -> str:
    return (
        f"`{phrase}`: say what to compare with, e.g. `cost rises 50% vs last week`, "
        "`vs yesterday` or `vs 2d ago`."
    )


def anomaly_metric(phrase: str) -> str:
    return (
        f"`{phrase}`: anomaly rules watch `cost`, `images`, `errors` or `cost-per-image`, "
        "e.g. `cost anomaly per 1h`."
    )


def new_needs(phrase: str, guess: str | None) -> str:
    return (
        f"`{phrase}`: say which values to watch{_guess(guess)} `new model`, `new provider`, "
        "`new resolution`, `new quality`, `new agent` or `new organization`."
    )


def only_for(word: str, kind: str, example: str) -> str:
    return f"`{word}` applies to {kind} only, e.g. `{example}`."


def new_is_grouped(phrase: str) -> str:
    return f"`{phrase}`: a new-value rule is already one alert per value: drop `by`."


def bad_severity(token: str) -> str:
    return f"`{token}` is not a severity: write `severity critical` or `severity warning`."


def bad_sensitivity(token: str) -> str:
    return (
        f"`{token}`: sensitivity is how many robust deviations above the usual fire, "
        "from 1 to 10 (default 3; lower fires sooner), e.g. `sensitivity 3`."
    )


def inhibits_needs(example: str) -> str:
    return f"`inhibits` needs the names of the rules it holds back, e.g. `{example}`."


def condition_out_of_place(token: str, guess: str | None) -> str:
    hint = f" (`{guess}` is a rule condition: put it right after `when`)" if guess else ""
    return f"`{token}` is not a filter{hint}."


def rule_needs_per(name: str) -> str:
    return f"`rule add {name}` needs the span to measure over, e.g. `per 1h` or `per 1d`."


def bad_rule(name: str, reason: str) -> str:
    return f"Rule `{name}` cannot be made: {reason}."


def min_for_rates() -> str:
    return (
        "`min N` applies to error-rate rules (minimum requests) and anomaly rules (minimum "
        "volume, e.g. `min $5`) only."
    )


def min_volume_for_changes() -> str:
    return "`min-volume N` applies to change rules only (`… rises 50% vs last week`)."


def for_span_with_cron() -> str:
    return "With a cron schedule, give `for` as a number of evaluations, e.g. `for 3`."


def bad_cron(token: str) -> str:
    return (
        f"`{token}` is not a cron expression (minute hour day month weekday), "
        'e.g. `"*/10 * * * *"`.'
    )


def recover_needs(phrase: str) -> str:
    return f"`{phrase}`: write `recover below X` (or `recover above X` for `<` rules)."


def recover_side(token: str, side: str) -> str:
    return (
        f"`{token}`: this rule recovers when the value goes back {side} — write `recover {side} …`."
    )


def recover_zero() -> str:
    return "A rule with a threshold of 0 resolves as soon as it stops breaching: drop `recover`."


def recover_range(token: str, side: str) -> str:
    return f"`recover {side} {token}` must lie between the threshold and the normal side of it."


def no_window_here(what: str) -> str:
    if what == "rule":
        return "A rule measures over `per SPAN` (e.g. `per 1h`), not over a window like `last 7d`."
    if what == "budget":
        return "A budget runs over its calendar period (`per day|week|month`), not a window."
    return "A digest always covers the local day that just ended: drop the window."


def no_by_here(what: str) -> str:
    return f"A {what} cannot be grouped with `by`."


def no_sort_here(what: str) -> str:
    return f"`sort:` has no meaning in a {what}."


def backtest_takes_window(text: str) -> str:
    return f"`rule backtest NAME` takes a window only, e.g. `last 30d` (not `{text}`)."


def backtest_too_long(days: int) -> str:
    return f"A backtest covers at most {days} days."


# -- silences, budgets, digests ------------------------------------------------------


def silence_needs_for(name: str) -> str:
    return f"`silence {name}` needs a duration, e.g. `silence {name} for 2h`."


def silence_too_long(days: int) -> str:
    return f"A silence lasts at most {days} days; pause the rule instead (`rule pause NAME`)."


def silence_extra(token: str) -> str:
    return f"Unexpected `{token}`: add a reason with `reason …`, e.g. `for 2h reason deploy`."


def budget_needs_amount(name: str) -> str:
    return f"`budget {name}` needs an amount and a period, e.g. `budget {name} 500 per month`."


def budget_needs_period(name: str, phrase: str | None) -> str:
    seen = f" (not `{phrase}`)" if phrase else ""
    return f"`budget {name}` needs `per day`, `per week` or `per month` after the amount{seen}."


def bad_levels(phrase: str) -> str:
    return f"`{phrase}`: thresholds are percentages of the budget, e.g. `at 50,80,100`."


def bad_budget(name: str, reason: str) -> str:
    return f"Budget `{name}` cannot be made: {reason}."


def digest_needs_verb(verbs: Iterable[str]) -> str:
    return f"`digest` needs one of {_listed(verbs)}, e.g. `digest daily at 09:00`."


def digest_needs_at(verb: str) -> str:
    return f"`digest {verb}` needs a local time, e.g. `digest {verb} at 09:00`."


def weekly_needs_on() -> str:
    return "`digest weekly` needs a weekday, e.g. `digest weekly on mon at 09:00`."


def daily_has_no_on() -> str:
    return "`digest daily` posts every day: drop `on …`, or use `digest weekly on mon at 09:00`."


def quiet_needs(example: str) -> str:
    return (
        f"Quiet hours run from one local time to another, e.g. `{example}` "
        "(or `quiet off`; `quiet` alone lists them)."
    )


def bad_quiet(reason: str) -> str:
    return f"These quiet hours cannot be set: {reason}."


def bad_digest(reason: str) -> str:
    return f"This digest cannot be made: {reason}."


# -- carrying out --------------------------------------------------------------------


def no_rule(name: str, guess: str | None) -> str:
    return f"No rule named `{name}`{_guess(guess)} `/imgmetrics rule list` shows them."


def no_budget(name: str, guess: str | None) -> str:
    return f"No budget named `{name}`{_guess(guess)} `/imgmetrics rule list` shows them."


def name_taken(name: str, other: str) -> str:
    return f"`{name}` is already the name of a {other}: pick another name."


def no_digest(channel: str) -> str:
    return f"No digest posts to <#{channel}>. Set one with `digest daily at 09:00`."


def not_grouped(name: str, group: str) -> str:
    return f"Rule `{name}` is not grouped with `by`, so `{group}` cannot be silenced alone."


def no_silence(name: str) -> str:
    return f"Rule `{name}` has no active silence."


def paused(name: str) -> str:
    return (
        f"⏸ Rule `{name}` paused: it is not evaluated and posts nothing until `rule resume {name}`."
    )


def resumed(name: str) -> str:
    return f"▶️ Rule `{name}` resumed: evaluated again from its next slot."


def deleted(what: str, name: str) -> str:
    return f"🗑 {what} `{name}` deleted; messages already posted stay in their channels."


def digest_off(channel: str, removed: int) -> str:
    return f"🔕 Digest{'s' if removed != 1 else ''} for <#{channel}> turned off."


def bad_button(action_id: str) -> str:
    return (
        f"This `{action_id}` button is from an older message and cannot be read: use the command."
    )
