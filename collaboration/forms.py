"""Forms of the collaboration pages: they check the shape of input; the services own the rules."""

from __future__ import annotations

from django import forms

from bids.choices import Phase
from core.forms import DateInput, DateInputsMixin, LongTextField, date_initial
from councils.choices import CouncilType
from councils.models import Council


class CallSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, help_text="Words from the pitch, or a council")
    phase = forms.ChoiceField(label="Phase", required=False, choices=[("", "Any phase"), *Phase.choices])
    council_type = forms.ChoiceField(
        label="Lead council type", required=False, choices=[("", "Any type"), *CouncilType.choices]
    )
    region = forms.ChoiceField(label="Region", required=False, choices=[("", "Any region")])

    def __init__(self, *args: object, regions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "Any region"), *((region, region) for region in regions)]


class PitchForm(DateInputsMixin, forms.Form):
    title = forms.CharField(
        label="Title of your call",
        max_length=200,
        required=False,
        help_text="Other councils see this, your pitch and your council’s name — never your draft bid",
        error_messages={"max_length": "The title must be 200 characters or fewer"},
    )
    problem = LongTextField(
        label="The problem",
        required=False,
        help_text="The shared problem you want to solve, in 150 words or fewer",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    partners_do = LongTextField(
        label="What partners would do",
        required=False,
        help_text="What you would ask of a partner: time, skills, testing with its residents, in 150 words or fewer",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    date_inputs = {"join_by": DateInput(what="the date", subject="The date", required=False, example="1 4 2027")}

    @classmethod
    def initial_for(cls, call, bid) -> dict:
        if call is None:
            return {"title": bid.title, "problem": bid.summary}
        return {
            "title": call.title,
            "problem": call.problem,
            "partners_do": call.partners_do,
            **date_initial("join_by", call.join_by),
        }


class JoinRequestForm(forms.Form):
    council = forms.ModelChoiceField(
        queryset=Council.objects.none(),
        label="Which council would join?",
        widget=forms.RadioSelect,
        empty_label=None,
        required=False,
        error_messages={"invalid_choice": "Select one of your councils"},
    )
    message = LongTextField(
        label="Your message to the lead council",
        required=False,
        help_text="What your council would bring, and who to talk to, in 200 words or fewer",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: object, councils: list[Council], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.councils = councils
        self.fields["council"].queryset = Council.objects.filter(pk__in=[c.pk for c in councils])
        self.fields["council"].label_from_instance = lambda council: council.name

    def chosen_council(self) -> Council | None:
        if len(self.councils) == 1:
            return self.councils[0]
        return self.cleaned_data.get("council")


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="Will the council join the bid?",
        choices=[("accept", "Yes, add it as a confirmed partner"), ("decline", "No, decline the request")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the council joins the bid"},
    )
    reason = LongTextField(
        label="If you decline, why?",
        required=False,
        help_text="The council will see this",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
