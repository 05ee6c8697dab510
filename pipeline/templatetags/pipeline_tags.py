"""Helpers for the staff pipeline pages. The table's rows are rendered here in one pass (a per-row include
or per-cell template lookups cost more than the database on a 50-row page)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from bids.choices import BidState, Phase, RoundState
from core.choices import choice_label, status_tag
from core.formatting import govuk_date, money, percent, plural
from councils.models import DISPLAY_NAME_FIELD

register = template.Library()

_PHASES = dict(Phase.choices)


@register.simple_tag
def round_state_tag(state: str) -> SafeString:
    return status_tag(RoundState, state)


@register.filter
def round_state_label(state: str) -> str:
    return choice_label(RoundState, state)


@register.simple_tag
def options(choices, selected: str = "", blank: str = "") -> SafeString:
    """<option>s for a select: choices are (value, label) pairs or plain strings; `selected` is marked."""
    selected = str(selected or "")
    parts = [f'<option value="">{escape(blank)}</option>'] if blank else []
    for choice in choices:
        value, label = choice if isinstance(choice, list | tuple) else (choice, choice)
        value = str(value)
        mark = " selected" if value == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return mark_safe("".join(parts))  # every value and label is escaped above


@register.simple_tag
def bid_rows(rows) -> SafeString:
    """The bid table's rows (plain rows of `selectors.TABLE_ROW_FIELDS`; columns match bid_table.html's header)."""
    placeholder = "LDF-X-0000"  # any reference: the URL is built once and filled in per row
    detail = reverse("pipeline:bid_detail", kwargs={"reference": placeholder}).replace(placeholder, "{}")
    html = []
    for row in rows:
        submitted = govuk_date(row["submitted_at"], short=True) or "–"
        score = f"{row['final_score']:.2f}" if row["final_score"] is not None else "–"
        if row["needs_moderation"]:
            score += ' <strong class="govuk-tag govuk-tag--yellow">Moderate</strong>'
        reference = escape(row["reference"])
        overlap = (
            ' <strong class="govuk-tag govuk-tag--orange">Possible overlap</strong>'
            if row.get("text_index__overlap_count")
            else ""
        )
        html.append(
            '<tr class="govuk-table__row">'
            f'<td class="govuk-table__cell"><a class="govuk-link" href="{detail.format(reference)}">'
            f"{reference}</a></td>"
            f'<td class="govuk-table__cell">{escape(row["title"]) or "Untitled bid"}{overlap}</td>'
            f'<td class="govuk-table__cell">{escape(row[f"lead_council__{DISPLAY_NAME_FIELD}"])}</td>'
            f'<td class="govuk-table__cell">{escape(row["funding_round__code"])}</td>'
            f'<td class="govuk-table__cell">{_PHASES.get(row["phase"], "–")}</td>'
            f'<td class="govuk-table__cell govuk-table__cell--numeric">{money(row["amount_requested"])}</td>'
            f'<td class="govuk-table__cell govuk-table__cell--numeric">{score}</td>'
            f'<td class="govuk-table__cell">{status_tag(BidState, row["state"])}</td>'
            f'<td class="govuk-table__cell">{submitted}</td>'
            "</tr>"
        )
    return mark_safe("".join(html))  # every value from the database is escaped above


@register.filter
def duration(value: timedelta | None) -> str:
    """A human duration: "3 days 4 hours", "45 minutes"."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(plural(days, "day"))
    if hours:
        parts.append(plural(hours, "hour"))
    if not days and minutes:
        parts.append(plural(minutes, "minute"))
    return " ".join(parts) or "less than a minute"


@register.filter
def state_label(state: str) -> str:
    return choice_label(BidState, state)


# --- Charts: server-rendered SVG, each with a title and description (and a visible table beside it) -------

_LABEL_WIDTH = 190
_BAR_SPACE = 520
_ROW = 30


@register.simple_tag
def funnel_svg(steps) -> SafeString:
    """A horizontal bar per stage reached; role="img" with <title>/<desc> giving every figure in words."""
    height = _ROW * len(steps)
    description = " ".join(
        f"{step.label}: {plural(step.count, 'bid')} ({step.percent}% of all bids)." for step in steps
    )
    bars = []
    for index, step in enumerate(steps):
        y = index * _ROW
        width = max(1, round(_BAR_SPACE * step.percent / 100)) if step.count else 0
        bars.append(
            format_html(
                '<text x="0" y="{}" font-size="16" fill="#0b0c0c">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="22" fill="#1d70b8"></rect>'
                '<text x="{}" y="{}" font-size="16" fill="#0b0c0c">{}</text>',
                y + 17,
                step.label,
                _LABEL_WIDTH,
                y + 2,
                width,
                _LABEL_WIDTH + width + 6,
                y + 17,
                f"{step.count:,}",
            )
        )
    return format_html(
        '<svg class="app-chart" role="img" aria-labelledby="funnel-title funnel-desc" viewBox="0 0 800 {}" '
        'width="100%" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        '<title id="funnel-title">Bids by the furthest stage they reached, from draft to award</title>'
        '<desc id="funnel-desc">{}</desc>{}</svg>',
        height,
        description,
        mark_safe("".join(bars)),
    )


@register.simple_tag
def budget_svg(budget: Decimal, awarded: Decimal, remaining: Decimal, percent: int, scope: str) -> SafeString:
    """A bar of the budget: the awarded share in green, the rest in grey."""
    width = 800 * min(max(percent, 0), 100) // 100
    left = "overspent" if remaining < 0 else "remaining"
    return format_html(
        '<svg class="app-chart" role="img" aria-labelledby="budget-title budget-desc" viewBox="0 0 800 56" '
        'width="100%" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        '<title id="budget-title">Budget awarded and remaining: {}</title>'
        '<desc id="budget-desc">Budget {}: {} awarded ({}%), {} {}.</desc>'
        '<rect x="0" y="0" width="800" height="28" fill="#b1b4b6"></rect>'
        '<rect x="0" y="0" width="{}" height="28" fill="#00703c"></rect>'
        '<text x="0" y="50" font-size="16" fill="#0b0c0c">Awarded {} ({}%)</text>'
        '<text x="800" y="50" font-size="16" fill="#0b0c0c" text-anchor="end">{} {}</text></svg>',
        scope,
        money(budget),
        money(awarded),
        percent,
        money(abs(remaining)),
        left,
        width,
        money(awarded),
        percent,
        left.capitalize(),
        money(abs(remaining)),
    )


@register.simple_tag
def sort_header(label: str, key: str, current: str, query: str, numeric: bool = False) -> SafeString:
    """A column header that sorts the table by this column (again to reverse), with aria-sort when active."""
    active = current.lstrip("-") == key
    descending = current.startswith("-")
    target = f"-{key}" if active and not descending else key
    aria = (' aria-sort="descending"' if descending else ' aria-sort="ascending"') if active else ""
    href = f"?{query}&sort={target}" if query else f"?sort={target}"
    hint = "" if not active else (" (sorted descending)" if descending else " (sorted ascending)")
    return format_html(
        '<th scope="col" class="govuk-table__header{}"{}><a class="govuk-link" href="{}">{}'
        '<span class="govuk-visually-hidden">{}</span></a></th>',
        " govuk-table__header--numeric" if numeric else "",
        mark_safe(aria),
        href,
        label,
        hint,
    )


@register.simple_tag
def field_error(form, name: str) -> SafeString:
    if form is None or not form.errors.get(name):
        return mark_safe("")
    return format_html(
        '<p id="{}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {}</p>',
        name,
        form.errors[name][0],
    )


@register.simple_tag
def round_budget_svg(budget) -> SafeString:
    """The round's budget as a bar: awarded (green), recommended above the funding line (blue), left (grey).
    role="img" with a title and a description giving every figure in words (the summary list beside it too)."""
    awarded_percent, recommended_percent = budget.percentages
    awarded_width = 800 * awarded_percent // 100
    recommended_width = 800 * recommended_percent // 100
    left = "overspent" if budget.left < 0 else "left"
    return format_html(
        '<svg class="app-chart" role="img" aria-labelledby="round-budget-title round-budget-desc" '
        'viewBox="0 0 800 56" width="100%" xmlns="http://www.w3.org/2000/svg" focusable="false">'
        '<title id="round-budget-title">The round’s budget: awarded, recommended and left</title>'
        '<desc id="round-budget-desc">Budget {}: {} awarded ({}%), {} recommended above the funding line ({}%), '
        "{} {}.</desc>"
        '<rect x="0" y="0" width="800" height="28" fill="#b1b4b6"></rect>'
        '<rect x="0" y="0" width="{}" height="28" fill="#00703c"></rect>'
        '<rect x="{}" y="0" width="{}" height="28" fill="#1d70b8"></rect>'
        '<text x="0" y="50" font-size="16" fill="#0b0c0c">Awarded {} · recommended {}</text>'
        '<text x="800" y="50" font-size="16" fill="#0b0c0c" text-anchor="end">{} {}</text></svg>',
        money(budget.budget),
        money(budget.awarded),
        awarded_percent,
        money(budget.recommended),
        recommended_percent,
        money(abs(budget.left)),
        left,
        awarded_width,
        awarded_width,
        recommended_width,
        money(budget.awarded),
        money(budget.recommended),
        left.capitalize(),
        money(abs(budget.left)),
    )


@register.simple_tag
def paid_svg(awarded: Decimal, paid: Decimal, due: Decimal, scope: str) -> SafeString:
    """The money awarded to funded projects as a bar: paid (green) and the rest (grey), every figure in words in
    the description (and in the summary list beside it)."""
    paid_percent = percent(paid, awarded)
    width = 800 * min(max(paid_percent, 0), 100) // 100
    return format_html(
        '<svg class="app-chart" role="img" aria-labelledby="paid-title paid-desc" viewBox="0 0 800 56" '
        'width="100%" xmlns="http://www.w3.org/2000/svg" focusable="false">'
        '<title id="paid-title">Funded projects’ money paid and still due: {}</title>'
        '<desc id="paid-desc">Awarded {}: {} paid ({}%), {} still due.</desc>'
        '<rect x="0" y="0" width="800" height="28" fill="#b1b4b6"></rect>'
        '<rect x="0" y="0" width="{}" height="28" fill="#00703c"></rect>'
        '<text x="0" y="50" font-size="16" fill="#0b0c0c">Paid {} ({}%)</text>'
        '<text x="800" y="50" font-size="16" fill="#0b0c0c" text-anchor="end">Due {}</text></svg>',
        scope,
        money(awarded),
        money(paid),
        paid_percent,
        money(due),
        width,
        money(paid),
        paid_percent,
        money(due),
    )
