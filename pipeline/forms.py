"""Confirmation forms for staff decisions. They check the input's shape; the bid services own the rules."""

from __future__ import annotations

from django import forms

from core.forms import MoneyField
from pipeline.choices import Decision


class ReturnForm(forms.Form):
    message = forms.CharField(
        label="What does the council need to change?",
        help_text="The lead council's members see this message.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter what the council needs to change"},
    )


class IneligibleForm(forms.Form):
    reason = forms.CharField(
        label="Why is the bid ineligible?",
        help_text="The lead and partner councils see this reason.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter why the bid is ineligible"},
    )


class AwardForm(forms.Form):
    amount = MoneyField(
        label="Amount to award, in pounds",
        help_text="The amount requested is filled in. You can award less, but not more.",
        required=True,
        messages={
            "required": "Enter the amount to award",
            "invalid": "Enter the amount to award as a number, like 75000 or 75000.50",
            "pence": "Enter the amount in pounds and pence, like 75000.50",
            "too_large": "Enter an amount of less than £10,000,000,000",
            "positive": "The amount awarded must be more than £0",
        },
    )
    conditions = forms.CharField(
        label="Conditions of the award (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclineForm(forms.Form):
    feedback = forms.CharField(
        label="Feedback for the councils",
        help_text="Explain why the bid is not funded. The lead and partner councils see this.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter feedback for the councils explaining why the bid is not funded"},
    )


DECISION_FORMS: dict[str, type[forms.Form]] = {
    Decision.RETURN: ReturnForm,
    Decision.INELIGIBLE: IneligibleForm,
    Decision.AWARD: AwardForm,
    Decision.DECLINE: DeclineForm,
}


class BatchAwardForm(forms.Form):
    conditions = forms.CharField(
        label="Conditions for every award (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
