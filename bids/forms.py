"""Forms of the council drafting pages. They parse and check the shape of input; the services own the rules."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from bids.choices import PartnerStatus, Payer, Phase
from bids.conditions import REQUIRED_CONTENT, earliest_start
from bids.documents import ACCEPT_ATTRIBUTE, ALLOWED_LABEL
from bids.models import ANSWER_WORD_LIMITS, BID_SECTIONS, MAX_DOCUMENT_BYTES, Bid, FundingRound
from bids.selectors import cost_line_now
from core.editing import SeenField, fingerprint
from core.formatting import govuk_date, govuk_deadline
from core.forms import DateInput, DateInputsMixin, LongTextField, MoneyField, WholeNumberField, date_initial
from councils.models import Council

# The answers a bid cannot be submitted without; every other question is labelled "(optional)".
REQUIRED_FIELDS = frozenset(field for field, _section, _message in REQUIRED_CONTENT)


class StartBidForm(forms.Form):
    funding_round = forms.ModelChoiceField(
        queryset=FundingRound.objects.none(),
        label="Which round are you bidding to?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Select the round", "invalid_choice": "Select a round that is open for bids"},
    )
    lead_council = forms.ModelChoiceField(
        queryset=Council.objects.none(),
        label="Which council leads the bid?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select the council that leads the bid",
            "invalid_choice": "Select one of your councils",
        },
    )

    def __init__(self, *args: object, rounds, councils, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funding_round"].queryset = rounds
        self.fields["lead_council"].queryset = councils
        self.fields["funding_round"].label_from_instance = lambda r: (
            f"{r.name} (closes {timezone.localtime(r.closes_at):%-d %B %Y})"
        )
        self.fields["lead_council"].label_from_instance = lambda c: c.name


class SectionForm(forms.Form):
    """A task-list section. `version` is the section's edit counter when the page was opened."""

    section = ""
    version = WholeNumberField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": "The page was not loaded properly. Go back to the task list and try again",
            "invalid": "The page was not loaded properly. Go back to the task list and try again",
            "min_value": "The page was not loaded properly. Go back to the task list and try again",
        },
    )

    def __init__(self, *args: object, bid: Bid, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.bid = bid
        for name, limit in ANSWER_WORD_LIMITS.items():
            if name in self.fields:
                # Read by {% govuk_field %}, which renders the GOV.UK character count in words.
                self.fields[name].word_limit = limit
        # Every field may be left blank while drafting; those the bid can be submitted without say so (GOV.UK:
        # "(optional)" in the label). The rest are the submission rules' required answers.
        for name in BID_SECTIONS[self.section][1]:
            if name in self.fields and name not in REQUIRED_FIELDS:
                self.fields[name].label = f"{self.fields[name].label} (optional)"

    @classmethod
    def initial_for(cls, bid: Bid) -> dict:
        initial = {name: getattr(bid, name) for name in BID_SECTIONS[cls.section][1]}
        initial["version"] = int(bid.section_versions.get(cls.section, 0))
        return initial

    def values(self) -> dict[str, object]:
        fields = BID_SECTIONS[self.section][1]
        return {name: self.cleaned_data[name] for name in fields if name in self.cleaned_data}


def long_answer(label: str, hint: str = "") -> forms.CharField:
    return LongTextField(label=label, help_text=hint, required=False, widget=forms.Textarea(attrs={"rows": 8}))


class AboutForm(SectionForm):
    section = "about"
    title = forms.CharField(
        label="Project title",
        required=False,
        max_length=200,
        help_text="A short name people will recognise, like ‘Shared housing repairs front door’",
        error_messages={"max_length": "The project title must be 200 characters or fewer"},
    )
    summary = long_answer("Summary", "What the project will do and for whom, in plain English")
    phase = forms.ChoiceField(
        label="Which phase are you bidding for?",
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select a phase this round funds"},
    )

    def __init__(self, *args: object, bid: Bid, **kwargs: object) -> None:
        super().__init__(*args, bid=bid, **kwargs)
        # In the agile order (discovery, alpha, beta), not alphabetical.
        order = list(Phase.values)
        round_phases = sorted(bid.funding_round.phases.all(), key=lambda round_phase: order.index(round_phase.phase))
        self.fields["phase"].choices = [
            (round_phase.phase, f"{round_phase.get_phase_display()} – up to £{round_phase.cap:,.0f}")
            for round_phase in round_phases
        ]


class ProblemForm(SectionForm):
    section = "problem"
    problem = long_answer("What problem will the project solve?", "Who has the problem and what it costs them")
    user_needs = long_answer("User needs and evidence", "What users need, and how you know")


class ApproachForm(SectionForm):
    section = "approach"
    approach = long_answer("Your approach", "How you will work: agile phases, the team, risks")
    outputs_and_reuse = long_answer(
        "Outputs and reuse", "What you will make and how other councils can reuse it, such as open source code"
    )
    working_in_the_open = long_answer(
        "Working in the open", "How you will share progress, for example weeknotes and show and tells"
    )


class TimelineForm(DateInputsMixin, SectionForm):
    section = "timeline"
    date_inputs = {
        "planned_start": DateInput(
            what="the planned start date",
            subject="The planned start date",
            required=False,
            example="1 4 2027",
            years=(2000, 2100),
        )
    }
    field_order = ["planned_start_day", "planned_start_month", "planned_start_year"]
    duration_months = WholeNumberField(
        label="How many months will the project take?",
        help_text="Between 1 and 36 months",
        required=False,
        min_value=1,
        max_value=36,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": "Enter the number of months as a whole number, like 6",
            "min_value": "The project must take at least 1 month",
            "max_value": "The project must take 36 months or fewer",
        },
    )
    lead_contact_name = forms.CharField(
        label="Lead contact’s full name",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"max_length": "The name must be 150 characters or fewer"},
    )
    lead_contact_email = forms.EmailField(
        label="Lead contact’s email address",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.gov.uk"},
    )
    lead_contact_phone = forms.CharField(
        label="Lead contact’s phone number",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        error_messages={"max_length": "The phone number must be 30 characters or fewer"},
    )

    @property
    def planned_start_hint(self) -> str:
        earliest = earliest_start(self.bid.funding_round)
        example = earliest + timedelta(days=60)
        return (
            f"On or after {govuk_date(earliest)} ({self.bid.funding_round.name} closes at "
            f"{govuk_deadline(self.bid.funding_round.closes_at)}). "
            f"For example, {example.day} {example.month} {example.year}"
        )

    @classmethod
    def initial_for(cls, bid: Bid) -> dict:
        initial = super().initial_for(bid)
        return {**initial, **date_initial("planned_start", initial.pop("planned_start"))}


class AmountForm(SectionForm):
    section = "costs"
    amount_requested = MoneyField(
        label="How much are you asking the fund for?",
        required=False,
        help_text="In pounds, for example 75000 or £75,000.50",
        messages={
            "invalid": "Enter the amount in pounds, like 75000 or 75000.50",
            "pence": "Enter the amount in pounds and pence, like 75000.50",
            "positive": "The amount requested must be more than £0",
        },
    )

    @classmethod
    def initial_for(cls, bid: Bid) -> dict:
        initial = super().initial_for(bid)
        amount = initial["amount_requested"]
        initial["amount_requested"] = f"{amount:.2f}".removesuffix(".00") if amount is not None else ""
        return initial


SECTION_FORMS: dict[str, type[SectionForm]] = {
    form.section: form for form in (AboutForm, ProblemForm, ApproachForm, TimelineForm)
}


class CostLineForm(forms.Form):
    # What the page showed of a line being changed (`core.editing`).
    seen = SeenField()
    payer = forms.ChoiceField(
        label="Who spends this money?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select who spends this money", "invalid_choice": "Select who spends this money"},
    )
    description = forms.CharField(
        label="What is it for?",
        help_text="For example, ‘User researcher, 20 days’",
        max_length=300,
        error_messages={
            "required": "Enter what the money is for",
            "max_length": "The description must be 300 characters or fewer",
        },
    )
    amount = MoneyField(
        label="Amount",
        required=True,
        help_text="In pounds, for example 12000 or £12,000.50",
        messages={
            "required": "Enter the amount",
            "invalid": "Enter the amount in pounds, like 12000 or 12000.50",
            "pence": "Enter the amount in pounds and pence, like 12000.50",
            "positive": "The amount must be more than £0",
        },
    )

    def __init__(self, *args: object, bid: Bid, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.partner_councils = {
            str(partner.council_id): partner.council
            for partner in bid.partners.all()
            if partner.status != PartnerStatus.DECLINED
        }
        choices = [(Payer.LEAD.value, f"Lead council ({bid.lead_council})")]
        choices += [
            (f"partner:{council_id}", f"Partner council ({council})")
            for council_id, council in self.partner_councils.items()
        ]
        choices.append((Payer.SUPPLIER.value, "Supplier"))
        self.fields["payer"].choices = choices

    @staticmethod
    def initial_for(line) -> dict:
        payer = f"partner:{line.payer_council_id}" if line.payer == Payer.PARTNER else line.payer
        amount = f"{line.amount:.2f}".removesuffix(".00")
        seen = fingerprint(cost_line_now(line=line))
        return {"payer": payer, "description": line.description, "amount": amount, "seen": seen}

    def service_kwargs(self) -> dict:
        payer = self.cleaned_data["payer"]
        payer_council = None
        if payer.startswith("partner:"):
            payer_council = self.partner_councils[payer.removeprefix("partner:")]
            payer = Payer.PARTNER
        return {
            "payer": payer,
            "payer_council": payer_council,
            "description": self.cleaned_data["description"],
            "amount": self.cleaned_data["amount"],
        }


class CouncilSearchForm(forms.Form):
    q = forms.CharField(
        label="Council name",
        help_text="For example, Bristol or Somerset",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false", "autocomplete": "off"}),
    )


class InviteForm(forms.Form):
    council = forms.ModelChoiceField(
        queryset=Council.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": "Select a council to invite", "invalid_choice": "Select a council to invite"},
    )


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A {ALLOWED_LABEL} file, {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB or smaller",
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        error_messages={
            "required": "Select a file",
            "empty": "The selected file is empty",
            "invalid": "Select a file",
            "missing": "Select a file",
        },
    )


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        required=True,
        error_messages={"required": "Confirm that you are submitting this bid on behalf of the councils"},
    )

    def __init__(self, *args: object, bid: Bid, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declaration"].label = (
            f"I confirm this bid is submitted on behalf of {bid.lead_council} and its partner "
            "councils, and that the information in it is correct"
        )


class WithdrawForm(forms.Form):
    reason = LongTextField(
        label="Why are you withdrawing this bid?",
        help_text="The partner councils and the programme team will see this",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you are withdrawing this bid",
            "max_length": "The reason must be 2000 characters or fewer",
        },
    )


class NextPhaseForm(forms.Form):
    funding_round = forms.ModelChoiceField(
        queryset=FundingRound.objects.none(),
        label="Which round are you bidding to?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select the round",
            "invalid_choice": "Select a round that is open and funds the next phase",
        },
    )

    def __init__(self, *args: object, rounds, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funding_round"].queryset = FundingRound.objects.filter(pk__in=[r.pk for r in rounds])
        self.fields["funding_round"].label_from_instance = lambda r: (
            f"{r.name} (closes {timezone.localtime(r.closes_at):%-d %B %Y})"
        )


class ClarificationAnswerForm(forms.Form):
    answer = LongTextField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter your answer"},
    )
    attachment = forms.FileField(
        label="Attach a file (optional)",
        required=False,
        help_text=f"A {ALLOWED_LABEL} file, {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB or smaller",
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        error_messages={"empty": "The selected file is empty", "invalid": "Select a file"},
    )
