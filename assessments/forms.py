"""Forms parse what people typed; the services decide whether it is acceptable (rules live once there)."""

from __future__ import annotations

from django import forms

from assessments.choices import SCORE_MEANINGS, Recommendation, Score
from assessments.conditions import MIN_JUSTIFICATION_WORDS
from bids.models import Criterion
from core.forms import LongTextField

# The scale, as the score radios' hints and the page's "What the scores mean".
SCALE_HINTS = {str(score.value): SCORE_MEANINGS[score] for score in Score}
SCALE = [(f"{score.value} {score.label}", SCORE_MEANINGS[score]) for score in Score]


class DeclarationForm(forms.Form):
    conflict = forms.ChoiceField(
        label="Do you have a conflict of interest with this bid?",
        choices=[("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict of interest")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you have a conflict of interest"},
    )
    details = LongTextField(
        label="If you have a conflict, describe it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, you advised one of the councils on this project, or a close relative works there",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conflict"].inline = False  # two long answers: stacked


class ScoringForm(forms.Form):
    """A score (1–5) and a justification for every criterion of the round, a recommendation and comments.

    Every field is optional here so a draft can be saved; completeness is the submit service's rule.
    """

    recommendation = forms.ChoiceField(
        label="Your overall recommendation",
        choices=Recommendation.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select fund, fund with conditions or do not fund"},
    )
    comments = LongTextField(
        label="Comments on your recommendation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Include any conditions you would attach to funding",
    )

    def __init__(self, *args: object, criteria: list[Criterion], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=f"Score for {criterion.name.lower()}",
                choices=[(score.value, f"{score.value} {score.label}") for score in Score],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": (
                        f"The score for {criterion.name.lower()} must be a whole number from 1 (poor) to 5 (strong)"
                    )
                },
            )
            self.fields[f"score_{criterion.pk}"].option_hints = SCALE_HINTS
            self.fields[f"score_{criterion.pk}"].small = True
            self.fields[f"justification_{criterion.pk}"] = LongTextField(
                label=f"Justification for your {criterion.name.lower()} score",
                help_text=(
                    f"At least a sentence ({MIN_JUSTIFICATION_WORDS} words or more): what in the bid led you to this "
                    "score"
                ),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        # Put the recommendation and comments after the criteria, as on the page.
        self.order_fields([name for name in self.fields if name not in ("recommendation", "comments")])

    def criterion_rows(self) -> list[dict]:
        """What the template needs per criterion: the criterion and its two fields."""
        return [
            {
                "criterion": criterion,
                "score": self[f"score_{criterion.pk}"],
                "justification": self[f"justification_{criterion.pk}"],
            }
            for criterion in self.criteria
        ]

    def scores(self) -> dict[int, dict]:
        return {
            criterion.pk: {
                "score": self.cleaned_data.get(f"score_{criterion.pk}"),
                "justification": self.cleaned_data.get(f"justification_{criterion.pk}", ""),
            }
            for criterion in self.criteria
        }


class ReasonForm(forms.Form):
    reason = LongTextField(label="Reason", widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: object, label: str, hint: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = hint


class AssignForm(forms.Form):
    assessor = forms.TypedChoiceField(
        label="Choose an assessor",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select an assessor to assign", "invalid_choice": "Select an assessor to assign"},
    )

    def __init__(
        self, *args: object, choices: list[tuple[int, str]], hints: dict[str, str] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offer(choices, hints)

    def offer(self, choices: list[tuple[int, str]], hints: dict[str, str] | None = None) -> None:
        self.fields["assessor"].choices = choices
        self.fields["assessor"].option_hints = hints or {}
        self.fields["assessor"].small = True


class ModerationForm(forms.Form):
    score = forms.CharField(
        label="Moderated score",
        required=False,
        help_text="From 1 (poor) to 5 (strong); you may use a decimal, like 3.5",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
    )
    note = LongTextField(
        label="Why this score",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="This note is kept with the bid's record and may be shown to the panel",
    )


class ProposeQuestionForm(forms.Form):
    question = LongTextField(
        label="What do you want to ask the bid’s team?",
        help_text="Programme staff read it and decide whether to send it. The council is not told who asked.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the question you want to ask the bid’s team"},
    )
