"""Forms of the collaboration pages: they check the shape of input; the services own the rules."""

from __future__ import annotations

from datetime import date

from django import forms

from bids.choices import Phase
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


class PitchForm(forms.Form):
    title = forms.CharField(
        label="Title of your call",
        max_length=200,
        required=False,
        help_text="Other councils see this, your pitch and your council’s name — never your draft bid",
        error_messages={"max_length": "The title must be 200 characters or fewer"},
    )
    problem = forms.CharField(
        label="The problem",
        required=False,
        help_text="The shared problem you want to solve, in 150 words or fewer",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    partners_do = forms.CharField(
        label="What partners would do",
        required=False,
        help_text="What you would ask of a partner: time, skills, testing with its residents, in 150 words or fewer",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    join_by_day = forms.CharField(required=False, max_length=2)
    join_by_month = forms.CharField(required=False, max_length=2)
    join_by_year = forms.CharField(required=False, max_length=4)

    @classmethod
    def initial_for(cls, call, bid) -> dict:
        if call is None:
            return {"title": bid.title, "problem": bid.summary}
        return {
            "title": call.title,
            "problem": call.problem,
            "partners_do": call.partners_do,
            "join_by_day": call.join_by.day,
            "join_by_month": call.join_by.month,
            "join_by_year": call.join_by.year,
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        parts = [(cleaned.get(f"join_by_{part}") or "").strip() for part in ("day", "month", "year")]
        cleaned["join_by"] = None
        if not any(parts):
            return cleaned
        if not all(parts):
            missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part]
            self.add_error("join_by_day", f"The date must include a {' and '.join(missing)}")
            return cleaned
        try:
            day, month, year = (int(part) for part in parts)
            cleaned["join_by"] = date(year, month, day)
        except (ValueError, OverflowError):
            self.add_error("join_by_day", "The date must be a real date, like 1 4 2027")
        return cleaned


class JoinRequestForm(forms.Form):
    council = forms.ModelChoiceField(
        queryset=Council.objects.none(),
        label="Which council would join?",
        widget=forms.RadioSelect,
        empty_label=None,
        required=False,
        error_messages={"invalid_choice": "Select one of your councils"},
    )
    message = forms.CharField(
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
    reason = forms.CharField(
        label="If you decline, why?",
        required=False,
        help_text="The council will see this",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
