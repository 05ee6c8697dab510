"""GOV.UK Design System template helpers: form fields, status tags, money, counts, dates and pagination.

Rendered in Python (simple tags) rather than per-row `{% include %}` so hot list pages stay fast.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms, template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core import formatting
from core.once import FIELD as ONCE_FIELD
from core.once import new_token

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


@register.filter(name="govuk_deadline")
def govuk_deadline_filter(value, style: str = "") -> str:
    """{{ round.closes_at|govuk_deadline }} → 20 December 2026 at 11:59pm for a deadline of midnight."""
    return formatting.govuk_deadline(value, short=style == "short")


@register.filter(name="govuk_deadline_day")
def govuk_deadline_day_filter(value, style: str = "") -> str:
    """{{ round.closes_at|govuk_deadline_day }} → the last day something due then can be done on."""
    return formatting.govuk_date(formatting.deadline_day(value), short=style == "short") if value else ""


@register.simple_tag
def tag(text: str, colour: str = "") -> SafeString:
    return format_html('<strong class="govuk-tag{}">{}</strong>', f" govuk-tag--{colour}" if colour else "", text)


# A date input's boxes: (part, label, GOV.UK width class).
_DATE_BOXES = {"day": ("Day", 2), "month": ("Month", 2), "year": ("Year", 4), "time": ("Time", 4)}


@register.inclusion_tag("components/date_input.html")
def date_input(form: forms.Form, name: str, legend: str, hint: str = "", size: str = "s") -> dict:
    """The GOV.UK date input of a form's date `name` (see `core.forms.DateInputsMixin`): its boxes, its one
    message (on the day box) and, for a setting that can no longer change (`form.locked`), why, as the hint."""
    boxes = [
        {"field": form[f"{name}_{part}"], "label": label, "width": width, "numeric": part != "time"}
        for part, (label, width) in _DATE_BOXES.items()
        if f"{name}_{part}" in form.fields
    ]
    locked = getattr(form, "locked", {}).get(name, "")
    return {
        "id": name.replace("_", "-"),
        "boxes": boxes,
        "error": boxes[0]["field"].errors[0] if boxes[0]["field"].errors else "",
        "legend": legend,
        "hint": f"{locked}." if locked else hint,
        "size": size,
    }


# The GOV.UK block class of each kind of control; anything else is a text input.
_CONTROL_CLASSES = (
    (forms.Textarea, "govuk-textarea"),
    (forms.Select, "govuk-select"),
    (forms.FileInput, "govuk-file-upload"),
)


def _options(field: forms.BoundField) -> list[dict]:
    """A radio or checkbox field's options: the first takes the field's id (the error summary links to it), the
    others `<id>-<n>`; each with its hint when the field has `option_hints` (value → hint)."""
    hints = getattr(field.field, "option_hints", {})
    return [
        {
            "id": field.auto_id if index == 0 else f"{field.auto_id}-{index}",
            "value": option.data["value"],
            "label": option.choice_label,
            "checked": option.data["selected"],
            "hint": hints.get(str(option.data["value"]), ""),
        }
        for index, option in enumerate(field.subwidgets)
    ]


@register.simple_tag
def govuk_field(
    field: forms.BoundField, label_class: str = "govuk-label--s", width: str = "", heading: bool = False
) -> SafeString:
    """One form field in the GOV.UK pattern: label or legend, hint, inline error, the control.

    Picks the component template for the widget and renders it through the form's renderer (so Django's cached
    template loader): `components/field_choices.html` for radios and checkboxes, `components/field_checkbox.html`
    for a single checkbox, `components/field_word_count.html` for a textarea whose field has a `word_limit`, and
    `components/field.html` for text inputs, textareas, selects and file inputs (whose HTML the widget writes).
    """
    widget = field.field.widget
    field_id = field.auto_id
    described = [f"{field_id}-hint"] if field.help_text else []
    if field.errors:
        described.append(f"{field_id}-error")
    context = {"field": field, "label_class": label_class, "heading": heading, "described_by": " ".join(described)}

    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        context["kind"] = "checkboxes" if isinstance(widget, forms.CheckboxSelectMultiple) else "radios"
        context["small"] = getattr(field.field, "small", False)
        context["options"] = _options(field)
        # GOV.UK: two short answers sit side by side; a field with `inline = False` keeps them stacked.
        two_short = len(context["options"]) == 2 and not context["small"]
        context["inline"] = context["kind"] == "radios" and getattr(field.field, "inline", two_short)
        return field.render("components/field_choices.html", context)
    if isinstance(widget, forms.CheckboxInput):
        return field.render("components/field_checkbox.html", context)

    block = next((css for kind, css in _CONTROL_CLASSES if isinstance(widget, kind)), "govuk-input")
    classes = [block]
    template_name = "components/field.html"
    if block == "govuk-textarea" and getattr(field.field, "word_limit", None):
        classes.append("govuk-js-character-count")
        described.insert(0, f"{field_id}-info")
        template_name = "components/field_word_count.html"
    if field.errors:
        classes.append(f"{block}--error")
    if width and block == "govuk-input":
        classes.append(f"govuk-input--width-{width}")
    attrs = {"class": " ".join(classes)}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    context["control"] = field.as_widget(attrs=attrs)
    return field.render(template_name, context)


@register.simple_tag
def table_head(*headers: str) -> SafeString:
    """A GOV.UK table's head: one column header per argument, "Amount|numeric" for a right-aligned number column
    and "Actions|hidden" for one named for screen readers only."""
    cells = []
    for header in headers:
        text, _, kind = header.partition("|")
        numeric = " govuk-table__header--numeric" if kind == "numeric" else ""
        content = format_html('<span class="govuk-visually-hidden">{}</span>', text) if kind == "hidden" else text
        cells.append(format_html('<th scope="col" class="govuk-table__header{}">{}</th>', numeric, content))
    return format_html(
        '<thead class="govuk-table__head"><tr class="govuk-table__row">{}</tr></thead>', mark_safe("".join(cells))
    )


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


@register.simple_tag
def sent_once() -> SafeString:
    """The one-time token of a form that makes something (`core.once`): a second sending does not make it twice."""
    return format_html('<input type="hidden" name="{}" value="{}">', ONCE_FIELD, new_token())
