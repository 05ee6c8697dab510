"""Staff forms: decisions, a round's set-up, closing early, the sift, questions. They check the input's shape;
the bid services own the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from bids.choices import CriterionCode, Phase
from bids.models import FundingRound
from bids.services import DEFAULT_CRITERIA
from core.editing import SeenField
from core.formatting import with_article
from core.forms import (
    DateInput,
    DateInputsMixin,
    DecimalNumberField,
    LongTextField,
    MoneyField,
    WholeNumberField,
    date_initial,
)
from pipeline.choices import Decision


class ReturnForm(forms.Form):
    message = LongTextField(
        label="What does the council need to change?",
        help_text="The lead council's members see this message.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter what the council needs to change"},
    )


class IneligibleForm(forms.Form):
    reason = LongTextField(
        label="Why is the bid ineligible?",
        help_text="The lead and partner councils see this reason.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter why the bid is ineligible"},
    )


class ReconsiderForm(forms.Form):
    reason = LongTextField(
        label="Why are you changing the decision?",
        help_text="Kept in the bid’s history. The councils have not been told of the decision, and are not told this.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the decision is being changed"},
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
    conditions = LongTextField(
        label="Conditions of the award (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclineForm(forms.Form):
    feedback = LongTextField(
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
    Decision.RECONSIDER: ReconsiderForm,
}


class BatchAwardForm(forms.Form):
    conditions = LongTextField(
        label="Conditions for every award (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Rounds: set-up, closing early, the sift, questions -----------------------------------------------------

# The round's moments, each typed as a GOV.UK date input and a time (UK time).
ROUND_MOMENTS = {
    name: DateInput(what=what, time=True, years=(2000, 2100))
    for name, what in (
        ("opens_at", "the opening date"),
        ("closes_at", "the closing date"),
        ("assessment_deadline", "the assessment deadline"),
    )
}


def round_initial(funding_round: FundingRound, *, copy: bool = False) -> dict:
    """A round's settings as the set-up form's initial values; a copy leaves out the name, code and dates,
    which a new round must have of its own."""
    initial: dict = {
        "budget": funding_round.budget,
        "min_partner_councils": funding_round.min_partner_councils,
        "max_bids_led_per_council": funding_round.max_bids_led_per_council,
        "assessors_per_bid": funding_round.assessors_per_bid,
        "divergence_threshold": funding_round.divergence_threshold,
    }
    for round_phase in funding_round.phases.all():
        initial[f"fund_{round_phase.phase}"] = True
        initial[f"cap_{round_phase.phase}"] = round_phase.cap
    if not copy:
        initial.update(name=funding_round.name, code=funding_round.code)
        for name in ROUND_MOMENTS:
            initial.update(date_initial(name, getattr(funding_round, name), time=True))
    return initial


def round_defaults() -> dict:
    """A new round's rules as the fund set them (the model's defaults: two partner councils, two bids led per
    council, two assessors per bid, the divergence threshold), filled in for staff to change."""
    names = ("min_partner_councils", "max_bids_led_per_council", "assessors_per_bid", "divergence_threshold")
    return {name: FundingRound._meta.get_field(name).get_default() for name in names}


def criteria_initial(funding_round: FundingRound | None) -> list[dict]:
    rows = (
        [(c.code, c.name, c.weight, c.guidance) for c in funding_round.criteria.all()]
        if funding_round is not None
        else DEFAULT_CRITERIA
    )
    return [
        {"code": code, "name": name, "weight": weight, "guidance": guidance} for code, name, weight, guidance in rows
    ]


class RoundForm(DateInputsMixin, forms.Form):
    """A round's settings. Parses and checks each value's shape; `bids.services.round_create`/`round_update`
    own the rules (dates in order, weights adding up, what may change once the round is open). Settings that
    can no longer change are shown disabled, with the reason as their hint."""

    date_inputs = ROUND_MOMENTS

    # What the page showed of a round being changed (`core.editing`).
    seen = SeenField()
    name = forms.CharField(
        label="Name of the round",
        max_length=100,
        help_text="For example, Local Digital Fund Round 8",
        error_messages={"required": "Enter the round’s name", "max_length": "The name must be 100 characters or fewer"},
    )
    code = forms.CharField(
        label="Short code",
        max_length=10,
        help_text="Letters and digits, used in bid references, for example R8",
        error_messages={
            "required": "Enter a short code, like R8",
            "max_length": "The code must be 10 characters or fewer",
        },
    )
    budget = MoneyField(
        label="Budget, in pounds",
        required=True,
        messages={
            "required": "Enter the round’s budget",
            "invalid": "Enter the budget as a number, like 2000000",
            "positive": "The budget must be more than £0",
        },
    )
    min_partner_councils = WholeNumberField(
        label="Partner councils each bid needs, besides the lead",
        min_value=0,
        max_value=20,
        error_messages={
            "required": "Enter how many partner councils each bid needs",
            "invalid": "Enter the number of partner councils as a whole number, like 2",
            "min_value": "The number of partner councils cannot be less than 0",
            "max_value": "The number of partner councils must be 20 or fewer",
        },
    )
    max_bids_led_per_council = WholeNumberField(
        label="Bids a council may lead",
        min_value=1,
        max_value=10,
        error_messages={
            "required": "Enter how many bids a council may lead",
            "invalid": "Enter the number of bids as a whole number, like 2",
            "min_value": "A council must be able to lead at least 1 bid",
            "max_value": "The number of bids a council may lead must be 10 or fewer",
        },
    )
    assessors_per_bid = WholeNumberField(
        label="Assessors per bid",
        min_value=1,
        max_value=5,
        error_messages={
            "required": "Enter how many assessors score each bid",
            "invalid": "Enter the number of assessors as a whole number, like 2",
            "min_value": "Each bid needs at least 1 assessor",
            "max_value": "The number of assessors per bid must be 5 or fewer",
        },
    )
    divergence_threshold = forms.DecimalField(
        label="Divergence threshold",
        help_text="Assessors’ scores for a criterion that differ by this many points or more need moderation",
        min_value=Decimal("1"),
        max_value=Decimal("4"),
        decimal_places=1,
        error_messages={
            "required": "Enter the divergence threshold",
            "invalid": "Enter the divergence threshold as a number, like 2 or 1.5",
            "min_value": "The divergence threshold must be 1 or more",
            "max_value": "The divergence threshold must be 4 or less",
            "max_decimal_places": "Enter the divergence threshold to one decimal place, like 1.5",
        },
    )

    def __init__(self, *args: object, locked: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for phase in Phase:
            self.fields[f"fund_{phase.value}"] = forms.BooleanField(label=f"{phase.label}", required=False)
            self.fields[f"cap_{phase.value}"] = MoneyField(
                label=f"Most {with_article(phase.label.lower())} bid may ask for, in pounds",
                required=False,
                messages={
                    "invalid": f"Enter the {phase.label.lower()} cap as a number, like 80000",
                    "positive": f"The {phase.label.lower()} cap must be more than £0",
                },
            )
        self.locked = locked or {}
        for setting, reason in self.locked.items():
            for name in self._fields_of(setting):
                self.fields[name].disabled = True
                self.fields[name].help_text = reason

    def _fields_of(self, setting: str) -> list[str]:
        if setting in self.date_inputs:
            return [f"{setting}_{part}" for part in self.date_inputs[setting].parts]
        if setting == "phases":
            return [f"{kind}_{phase}" for phase in Phase.values for kind in ("fund", "cap")]
        return [setting] if setting in self.fields else []

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = [phase for phase in Phase.values if cleaned.get(f"fund_{phase}")]
        if not chosen and "phases" not in self.locked:
            self.add_error(f"fund_{Phase.DISCOVERY}", "Choose at least one phase the round funds")
        for phase in chosen:
            if cleaned.get(f"cap_{phase}") is None and f"cap_{phase}" not in self.errors:
                self.add_error(
                    f"cap_{phase}", f"Enter the most {with_article(Phase(phase).label.lower())} bid may ask for"
                )
        return cleaned

    def phase_caps(self) -> dict[str, Decimal]:
        return {
            phase: self.cleaned_data[f"cap_{phase}"] for phase in Phase.values if self.cleaned_data.get(f"fund_{phase}")
        }

    def settings(self) -> dict:
        """The round's settings from the form, as `round_create`/`round_update` take them."""
        names = ("name", "code", "budget", "min_partner_councils", "max_bids_led_per_council", "assessors_per_bid")
        values = {name: self.cleaned_data[name] for name in (*names, "divergence_threshold")}
        values.update({name: self.cleaned_data[name] for name in ROUND_MOMENTS})
        return values


class CriterionForm(forms.Form):
    """One criterion: what it assesses, its name, guidance for assessors, its weight. A row left blank is
    ignored (the page offers spare rows, and works without JavaScript)."""

    code = forms.ChoiceField(
        label="What it assesses",
        choices=CriterionCode.choices,
        initial=CriterionCode.OTHER,
        help_text="Value for money breaks ties in the ranking",
        error_messages={"invalid_choice": "Choose what the criterion assesses from the list"},
    )
    name = forms.CharField(
        label="Criterion name",
        required=False,
        max_length=100,
        error_messages={"max_length": "A name must be 100 characters or fewer"},
    )
    guidance = LongTextField(
        label="Guidance for assessors (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    weight = DecimalNumberField(
        label="Weight, as a percentage",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        decimal_places=2,
        error_messages={
            "invalid": "Enter the weight as a number, like 33.33",
            "min_value": "A weight must be more than 0",
            "max_value": "A weight must be 100 or less",
            "max_decimal_places": "Enter the weight to at most two decimal places, like 33.33",
        },
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        name, weight = (cleaned.get("name") or "").strip(), cleaned.get("weight")
        if name and weight is None and "weight" not in self.errors:
            self.add_error("weight", f"Enter a weight for {name}")
        if weight is not None and not name:
            self.add_error("name", "Enter a name for the criterion")
        cleaned["name"] = name
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("name") and data.get("weight") is None


class BaseCriterionFormSet(forms.BaseFormSet):
    # Django's own words ("… has been tampered with … file a bug report") are for developers.
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "missing_management_form": "The page was not loaded properly. Go back to the round and try again",
        "too_many_forms": "A round can have at most %(num)d criteria",
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove this criterion"

    def rows(self) -> list[tuple[str, str, Decimal, str]]:
        """(code, name, weight, guidance) of each criterion kept (blank and removed rows left out)."""
        return [
            (
                form.cleaned_data["code"],
                form.cleaned_data["name"],
                form.cleaned_data["weight"],
                form.cleaned_data["guidance"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank
        ]


CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=0, can_delete=True, max_num=12, validate_max=True
)


class CloseEarlyForm(forms.Form):
    reason = LongTextField(
        label="Why are you closing the round early?",
        help_text="Staff and the lead councils of draft bids are told the round has closed.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why you are closing the round early"},
    )


class SiftForm(forms.Form):
    decision = forms.ChoiceField(
        label="Is the bid eligible?",
        choices=[("eligible", "Yes, it is eligible"), ("ineligible", "No, it is ineligible")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether the bid is eligible",
            "invalid_choice": "Select whether the bid is eligible",
        },
    )
    note = LongTextField(
        label="Reason",
        required=False,
        help_text="If it is ineligible, why: the lead and partner councils are told. If it is eligible although a "
        "check is not met, why.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ClarificationAskForm(DateInputsMixin, forms.Form):
    question = LongTextField(
        label="Question for the bid’s team",
        help_text="The lead council’s members answer it in the service. They are not told who suggested it.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the question"},
    )
    proposal = WholeNumberField(required=False, widget=forms.HiddenInput)
    date_inputs = {"reply_by": DateInput(what="the date the answer is needed by")}
