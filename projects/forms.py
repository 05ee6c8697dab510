"""The project pages' forms. Services hold the rules; a form only turns typed text into values."""

from __future__ import annotations

from typing import Any

from django import forms

from bids.documents import ACCEPT_ATTRIBUTE, ALLOWED_LABEL, MAX_DOCUMENT_BYTES
from core.editing import SeenField
from core.formatting import govuk_date
from core.forms import DateInput, DateInputsMixin, FilterForm, LongTextField, MoneyField
from projects.choices import OutputKind, ProjectState, Rag, VariationKind

AMOUNT_MESSAGES = {
    "required": "Enter the payment amount",
    "invalid": "Enter the amount in pounds, like 20000 or 20000.50",
    "positive": "The amount must be more than £0",
}
SPEND_MESSAGES = {
    "required": "Enter the amount",
    "invalid": "Enter the amount in pounds, like 20000 or 20000.50",
    "positive": "Enter the amount in pounds, like 20000 or 20000.50",
}


def file_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        help_text=f"Optional. {ALLOWED_LABEL}, {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB or smaller",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class AcceptOfferForm(forms.Form):
    confirm = forms.BooleanField(
        label="I confirm that my council accepts the grant offer and its conditions",
        required=False,
    )
    agreement = file_field("Upload the signed grant agreement")


class CertifierForm(forms.Form):
    user = forms.ChoiceField(label="Who certifies the reports?", widget=forms.RadioSelect)
    role_title = forms.CharField(
        label="Their role",
        required=False,
        max_length=100,
        help_text="For example, section 151 officer",
    )

    def __init__(self, *args: Any, members: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(str(m.pk), f"{m.full_name or m.email} ({m.email})") for m in members]
        self.fields["user"].error_messages["required"] = "Choose who certifies the reports"
        self.fields["user"].error_messages["invalid_choice"] = "Choose who certifies the reports"


class EvidenceForm(forms.Form):
    evidence = LongTextField(
        label="Evidence that the milestone is met",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was delivered, with links where you can",
        required=False,
    )
    evidence_file = file_field("Upload a file (optional)")


class ReportForm(forms.Form):
    # What the page showed of the draft (`core.editing`).
    seen = SeenField()
    progress = LongTextField(
        label="Progress since the last report", widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    spend_to_date = forms.CharField(label="Spend to date (£)", required=False, max_length=30)
    spend_planned = forms.CharField(label="Planned spend to date (£)", required=False, max_length=30)
    rag = forms.ChoiceField(label="Overall RAG rating", choices=Rag.choices, widget=forms.RadioSelect, required=False)
    risks = LongTextField(label="Risks and issues", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    outputs = LongTextField(label="Outputs so far", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    next_steps = LongTextField(label="Next steps", widget=forms.Textarea(attrs={"rows": 4}), required=False)


class MessageForm(forms.Form):
    message = LongTextField(
        label="What does the council need to change?", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class ProjectFilterForm(FilterForm):
    """Staff's projects list, by round (its code) and status. A round or status that does not exist is refused
    with the reason, never quietly read as "all"."""

    round = forms.ChoiceField(
        label="Round", required=False, error_messages={"invalid_choice": "Select a round from the list"}
    )
    state = forms.ChoiceField(
        label="Status",
        choices=[("", "All statuses"), *ProjectState.choices],
        required=False,
        error_messages={"invalid_choice": "Select a status from the list"},
    )

    def __init__(self, data: Any = None, *, rounds: list[tuple[str, str]]) -> None:
        codes = {code.lower(): code for code, _name in rounds}
        if data is not None and data.get("round"):
            # A code typed in another case (a link, a bookmark) means the same round.
            data = data.copy()
            data["round"] = codes.get(data["round"].strip().lower(), data["round"])
        super().__init__(data)
        self.fields["round"].choices = [("", "All rounds"), *rounds]


class VariationKindForm(forms.Form):
    # Its own prefix: the change form that follows posts `kind` to the same address.
    prefix = "choose"
    kind = forms.ChoiceField(
        label="What do you want to change?",
        choices=VariationKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what you want to change",
            "invalid_choice": "Select what you want to change",
        },
    )


class VariationForm(DateInputsMixin, forms.Form):
    reasons = LongTextField(label="Why do you need this change?", widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, kind: str, milestones: list, budget_lines: list = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].required = False
        self.kind = kind
        self.rows: list[dict] = []
        if kind == VariationKind.BUDGET:
            for line in budget_lines:
                name = f"line_{line.pk}"
                self.fields[name] = forms.CharField(
                    label=f"{line.description} ({line.get_payer_display().lower()}, now £{line.amount:,.2f})",
                    required=False,
                    max_length=30,
                )
                self.rows.append({"line": line, "name": name, "field": self[name]})
        for milestone in milestones:
            if kind == VariationKind.DATES:
                name = f"date_{milestone.pk}"
                self.add_date_input(name, DateInput(what=f"a new date for {milestone.title}", required=False))
                self.rows.append(
                    {
                        "milestone": milestone,
                        "name": name,
                        "hint": f"Now {govuk_date(milestone.due_date)}. For example, 27 3 2027",
                    }
                )
            elif kind == VariationKind.MONEY and milestone.payment.status == "scheduled":
                name = f"amount_{milestone.payment.pk}"
                self.fields[name] = forms.CharField(
                    label=f"{milestone.title} (now £{milestone.payment.amount:,.2f})", required=False, max_length=30
                )
                self.rows.append({"milestone": milestone, "name": name, "field": self[name]})
        if kind == VariationKind.SCOPE:
            self.fields["scope"] = LongTextField(
                label="The new scope", widget=forms.Textarea(attrs={"rows": 5}), required=False
            )

    def changes(self) -> dict[str, object]:
        data = self.cleaned_data
        if self.kind == VariationKind.DATES:
            return {name.split("_", 1)[1]: data.get(name) for name in self.date_inputs}
        if self.kind in (VariationKind.MONEY, VariationKind.BUDGET):
            return {row["name"].split("_", 1)[1]: data.get(row["name"]) or "" for row in self.rows}
        return {"scope": data.get("scope", "")}


class LessonsForm(forms.Form):
    # What the page showed of the lessons learned (`core.editing`).
    seen = SeenField()
    lessons_learned = LongTextField(label="Lessons learned", widget=forms.Textarea(attrs={"rows": 6}), required=False)


class OutputForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, required=False)
    url = forms.CharField(label="Link", max_length=500, required=False, help_text="For example, https://github.com/…")
    kind = forms.ChoiceField(
        label="Kind of output", choices=OutputKind.choices, widget=forms.RadioSelect, required=False
    )


class ReuseForm(forms.Form):
    council = forms.ChoiceField(label="Which council reuses it?", widget=forms.RadioSelect)
    note = LongTextField(
        label="How does your council reuse the outputs?",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, councils: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [(str(c.pk), c.name) for c in councils]
        self.fields["council"].error_messages["required"] = "Choose your council"
        self.fields["council"].error_messages["invalid_choice"] = "Choose your council"


class MilestoneForm(DateInputsMixin, forms.Form):
    # Every answer is checked at once, so the error summary lists each missing one together.
    title = forms.CharField(
        label="Milestone",
        max_length=200,
        error_messages={
            "required": "Enter the milestone's title",
            "max_length": "The milestone's title must be 200 characters or fewer",
        },
    )
    amount = MoneyField(label="Payment when it is met (£)", required=True, messages=AMOUNT_MESSAGES)
    # What the page showed of a milestone being changed (`core.editing`).
    seen = SeenField()
    date_inputs = {"due_date": DateInput(what="the due date")}


class PaidOnForm(DateInputsMixin, forms.Form):
    date_inputs = {"paid_on": DateInput(what="the day it is paid")}


class ReasonForm(forms.Form):
    reason = LongTextField(label="Reason", widget=forms.Textarea(attrs={"rows": 4}), required=False)
