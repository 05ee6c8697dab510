"""GOV.UK Design System template helpers: form fields, status tags, money, counts, dates and pagination.

Rendered in Python (simple tags) rather than per-row `{% include %}` so hot list pages stay fast.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms, template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core import formatting

register = template.Library()


@register.filter(name="money")
def money_filter(value: Decimal | None) -> str:
    """{{ amount|money }} → £1,234 or £1,234.56 (pence only when there are some); – when empty."""
    return formatting.money(value)


@register.filter(name="plural")
def plural_filter(count: int, words: str) -> str:
    """{{ n|plural:"bid" }} → 1 bid, 2 bids; {{ n|plural:"person,people" }} for irregular words."""
    singular, _comma, plural_form = words.partition(",")
    return formatting.plural(count, singular, plural_form)


@register.filter(name="govuk_date")
def govuk_date_filter(value, style: str = "") -> str:
    """{{ when|govuk_date }} → 27 November 2026; {{ when|govuk_date:"short" }} → 27 Nov 2026."""
    return formatting.govuk_date(value, short=style == "short")


@register.filter(name="govuk_datetime")
def govuk_datetime_filter(value, style: str = "") -> str:
    """{{ when|govuk_datetime }} → 27 November 2026 at 2:30pm (Europe/London)."""
    return formatting.govuk_datetime(value, short=style == "short")


@register.simple_tag
def tag(text: str, colour: str = "") -> SafeString:
    return format_html('<strong class="govuk-tag{}">{}</strong>', f" govuk-tag--{colour}" if colour else "", text)


@register.simple_tag
def govuk_field(
    field: forms.BoundField, label_class: str = "govuk-label--s", width: str = "", heading: bool = False
) -> SafeString:
    """One form field in the GOV.UK pattern: label, hint, inline error, the control.

    Handles text inputs, textareas (with a word-count hint via `widget.attrs['data-word-limit']`), selects,
    radios, checkboxes and file inputs.
    """
    widget = field.field.widget
    field_id = field.auto_id
    errors = field.errors
    hint = field.help_text
    described = []
    if hint:
        described.append(f"{field_id}-hint")
    if errors:
        described.append(f"{field_id}-error")
    hint_html = format_html('<div id="{}-hint" class="govuk-hint">{}</div>', field_id, hint) if hint else ""
    error_html = (
        format_html(
            '<p id="{}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {}</p>',
            field_id,
            errors[0],
        )
        if errors
        else ""
    )
    group_class = "govuk-form-group" + (" govuk-form-group--error" if errors else "")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)

    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        is_radio = isinstance(widget, forms.RadioSelect)
        kind = "radios" if is_radio else "checkboxes"
        items = []
        for index, choice in enumerate(field.subwidgets):
            choice_id = field_id if index == 0 else f"{field_id}-{index}"
            checked = " checked" if choice.data.get("selected") else ""
            items.append(
                format_html(
                    '<div class="govuk-{kind}__item"><input class="govuk-{kind}__input" id="{id}" name="{name}" '
                    'type="{type}" value="{value}"{checked}><label class="govuk-label govuk-{kind}__label" '
                    'for="{id}">{label}</label></div>',
                    kind=kind,
                    id=choice_id,
                    name=field.html_name,
                    type="radio" if is_radio else "checkbox",
                    value=choice.data["value"],
                    checked=mark_safe(checked),
                    label=choice.choice_label,
                )
            )
        legend_class = "govuk-fieldset__legend--m" if heading else "govuk-fieldset__legend--s"
        described_attr = format_html(' aria-describedby="{}"', " ".join(described)) if described else ""
        return format_html(
            '<div class="{}"><fieldset class="govuk-fieldset"{}><legend class="govuk-fieldset__legend {}">{}</legend>'
            '{}{}<div class="govuk-{}{}" data-module="govuk-{}">{}</div></fieldset></div>',
            group_class,
            described_attr,
            legend_class,
            field.label,
            hint_html,
            error_html,
            kind,
            " govuk-radios--inline" if is_radio and len(items) == 2 else "",
            kind,
            mark_safe("".join(items)),
        )

    if isinstance(widget, forms.CheckboxInput):
        checked = " checked" if field.value() else ""
        return format_html(
            '<div class="{}">{}{}<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">'
            '<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="{}" name="{}" '
            'type="checkbox" value="on"{}{}><label class="govuk-label govuk-checkboxes__label" for="{}">{}</label>'
            "</div></div></div>",
            group_class,
            hint_html,
            error_html,
            field_id,
            field.html_name,
            mark_safe(checked),
            mark_safe(format_html(' aria-describedby="{}"', attrs["aria-describedby"]) if described else ""),
            field_id,
            field.label,
        )

    if isinstance(widget, forms.Textarea):
        css = "govuk-textarea" + (" govuk-textarea--error" if errors else "")
    elif isinstance(widget, forms.Select):
        css = "govuk-select" + (" govuk-select--error" if errors else "")
    elif isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        css = "govuk-file-upload" + (" govuk-file-upload--error" if errors else "")
    else:
        css = (
            "govuk-input"
            + (" govuk-input--error" if errors else "")
            + (f" govuk-input--width-{width}" if width else "")
        )
    attrs["class"] = css
    control = field.as_widget(attrs=attrs)
    word_limit = widget.attrs.get("data-word-limit")
    if word_limit:
        control = format_html(
            '<div class="govuk-character-count" data-module="govuk-character-count" data-maxwords="{}">{}'
            '<div id="{}-info" class="govuk-hint govuk-character-count__message">You can enter up to {} words</div>'
            "</div>",
            word_limit,
            control,
            field_id,
            word_limit,
        )
    label = format_html('<label class="govuk-label {}" for="{}">{}</label>', label_class, field_id, field.label)
    if heading:
        label = format_html('<h1 class="govuk-label-wrapper">{}</h1>', label)
    return format_html('<div class="{}">{}{}{}{}</div>', group_class, label, hint_html, error_html, control)


@register.filter
def linebreaks_escaped(text: str) -> SafeString:
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return format_html_join("", '<p class="govuk-body">{}</p>', ((escape(p),) for p in paragraphs))


_PREV_ICON = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg" '
    'height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m6.5938-0.0078125'
    '-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path>'
    "</svg>"
)
_NEXT_ICON = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg" '
    'height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m8.107-0.0078125'
    '-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path>'
    "</svg>"
)


@register.simple_tag
def pagination(page, query: str = "", label: str = "Pages") -> SafeString:
    """GOV.UK pagination (block style: Previous / Next with "Page n of m"), keeping the other query parameters.

    `query` is the page's query string without `page` (e.g. "round=3&sort=-score")."""
    if page is None or page.paginator.num_pages <= 1:
        return mark_safe("")
    prefix = f"?{query}&page=" if query else "?page="
    total = page.paginator.num_pages
    links = []
    for present, number, rel, title, icon in (
        (page.has_previous(), page.number - 1, "prev", "Previous", _PREV_ICON),
        (page.has_next(), page.number + 1, "next", "Next", _NEXT_ICON),
    ):
        if present:
            links.append(
                format_html(
                    '<div class="govuk-pagination__{}"><a class="govuk-link govuk-pagination__link" href="{}{}" '
                    'rel="{}">{}<span class="govuk-pagination__link-title">{}<span class="govuk-visually-hidden">'
                    ' page</span></span><span class="govuk-visually-hidden">:</span><span '
                    'class="govuk-pagination__link-label">Page {} of {}</span></a></div>',
                    rel,
                    prefix,
                    number,
                    rel,
                    mark_safe(icon),
                    title,
                    number,
                    total,
                )
            )
    return format_html(
        '<nav class="govuk-pagination govuk-pagination--block" aria-label="{}">{}</nav>',
        label,
        mark_safe("".join(links)),
    )
