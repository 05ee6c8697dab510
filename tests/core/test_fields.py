"""{% govuk_field %}: each kind of field renders its GOV.UK component template (label or legend, hint, inline
error, the control) with the ids that aria-describedby and the error summary point at."""

from __future__ import annotations

from django import forms
from django.template import Context, Template
from pytest_django.asserts import assertHTMLEqual, assertInHTML

CHOICES = [("yes", "Yes"), ("no", "No")]
THREE = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]


class FieldsForm(forms.Form):
    name = forms.CharField(label="Your name", help_text="As on your payslip")
    plain = forms.CharField(label="Nickname", required=False)
    story = forms.CharField(label="Story", help_text="Tell us", widget=forms.Textarea(attrs={"rows": 8}))
    summary = forms.CharField(label="Summary", help_text="In plain English", widget=forms.Textarea(attrs={"rows": 8}))
    colour = forms.ChoiceField(label="Colour", choices=[("", "Choose"), *THREE])
    upload = forms.FileField(label="Upload a file", help_text="PDF only")
    answer = forms.ChoiceField(label="Do you agree?", choices=CHOICES, widget=forms.RadioSelect)
    letter = forms.ChoiceField(label="Pick a letter", help_text="Only one", choices=THREE, widget=forms.RadioSelect)
    letters = forms.MultipleChoiceField(label="Pick letters", choices=THREE, widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(label="I confirm this is true", help_text="You must confirm")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].word_limit = 250


def render(field: forms.BoundField, args: str = "") -> str:
    return Template("{% load govuk %}{% govuk_field field" + (" " + args if args else "") + " %}").render(
        Context({"field": field})
    )


def invalid_form() -> FieldsForm:
    form = FieldsForm(data={"colour": "purple", "letters": ["a", "z"], "summary": "word " * 300})
    form.add_error("summary", "The summary must be 250 words or fewer")
    assert not form.is_valid()
    return form


def test_text_input_without_hint_or_error_has_no_description():
    html = render(FieldsForm()["plain"], 'width="20"')
    assertHTMLEqual(
        html,
        '<div class="govuk-form-group"><label class="govuk-label govuk-label--s" for="id_plain">Nickname</label>'
        '<input type="text" name="plain" class="govuk-input govuk-input--width-20" id="id_plain"></div>',
    )


def test_text_input_with_hint_and_error_is_described_by_both():
    html = render(invalid_form()["name"], '"govuk-label--m" width="10"')
    assertHTMLEqual(
        html,
        '<div class="govuk-form-group govuk-form-group--error">'
        '<label class="govuk-label govuk-label--m" for="id_name">Your name</label>'
        '<div id="id_name-hint" class="govuk-hint">As on your payslip</div>'
        '<p id="id_name-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> '
        "This field is required.</p>"
        '<input type="text" name="name" class="govuk-input govuk-input--error govuk-input--width-10" '
        'aria-describedby="id_name-hint id_name-error" aria-invalid="true" required id="id_name"></div>',
    )


def test_label_as_page_heading_is_wrapped_in_h1():
    html = render(FieldsForm()["name"], '"govuk-label--l" heading=True')
    assertInHTML(
        '<h1 class="govuk-label-wrapper">'
        '<label class="govuk-label govuk-label--l" for="id_name">Your name</label></h1>',
        html,
    )


def test_textarea_select_and_file_take_their_own_error_modifier():
    form = invalid_form()
    assert 'class="govuk-textarea govuk-textarea--error"' in render(form["story"])
    assert 'class="govuk-select govuk-select--error"' in render(form["colour"])
    assert 'class="govuk-file-upload govuk-file-upload--error"' in render(form["upload"])
    # width only applies to text inputs
    assert "govuk-input--width" not in render(form["colour"], 'width="10"')
    unbound = FieldsForm()
    assert 'class="govuk-select"' in render(unbound["colour"])
    assert 'aria-describedby="id_upload-hint"' in render(unbound["upload"])
    assert "govuk-form-group--error" not in render(unbound["story"])


def test_word_limited_textarea_is_a_character_count_in_words():
    html = render(FieldsForm(initial={"summary": "Fixing roofs"})["summary"], '"govuk-label--m"')
    assertHTMLEqual(
        html,
        '<div class="govuk-form-group govuk-character-count" data-module="govuk-character-count" '
        'data-maxwords="250"><label class="govuk-label govuk-label--m" for="id_summary">Summary</label>'
        '<div id="id_summary-hint" class="govuk-hint">In plain English</div>'
        '<textarea name="summary" cols="40" rows="8" class="govuk-textarea govuk-js-character-count" '
        'aria-describedby="id_summary-info id_summary-hint" required id="id_summary">\nFixing roofs</textarea>'
        '<div id="id_summary-info" class="govuk-hint govuk-character-count__message">'
        "You can enter up to 250 words</div></div>",
    )


def test_word_limited_textarea_with_error_keeps_what_was_typed():
    html = render(invalid_form()["summary"], '"govuk-label--m"')
    assert (
        '<div class="govuk-form-group govuk-character-count govuk-form-group--error" '
        'data-module="govuk-character-count" data-maxwords="250">'
    ) in html
    assert 'aria-describedby="id_summary-info id_summary-hint id_summary-error"' in html
    assert 'class="govuk-textarea govuk-js-character-count govuk-textarea--error"' in html
    assert '<p id="id_summary-error" class="govuk-error-message">' in html
    assert "The summary must be 250 words or fewer" in html
    assert html.count("word ") == 300


def test_two_radios_sit_inline_in_a_fieldset_whose_legend_is_the_label():
    html = render(FieldsForm(data={"answer": "no"})["answer"], "heading=True")
    assertHTMLEqual(
        html,
        '<div class="govuk-form-group"><fieldset class="govuk-fieldset">'
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Do you agree?</legend>'
        '<div class="govuk-radios govuk-radios--inline" data-module="govuk-radios">'
        '<div class="govuk-radios__item"><input class="govuk-radios__input" id="id_answer" name="answer" '
        'type="radio" value="yes"><label class="govuk-label govuk-radios__label" for="id_answer">Yes</label></div>'
        '<div class="govuk-radios__item"><input class="govuk-radios__input" id="id_answer-1" name="answer" '
        'type="radio" value="no" checked><label class="govuk-label govuk-radios__label" for="id_answer-1">No</label>'
        "</div></div></fieldset></div>",
    )


def test_radios_with_hint_and_error_describe_the_fieldset():
    html = render(invalid_form()["letter"])
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert '<fieldset class="govuk-fieldset" aria-describedby="id_letter-hint id_letter-error">' in html
    assert 'class="govuk-fieldset__legend govuk-fieldset__legend--s"' in html
    assert '<div id="id_letter-hint" class="govuk-hint">Only one</div>' in html
    assertInHTML(
        '<p id="id_letter-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> '
        "This field is required.</p>",
        html,
    )
    assert 'class="govuk-radios" data-module="govuk-radios"' in html  # three are stacked
    assert [part.split(" ")[0] for part in html.split('<input class="govuk-radios__input" ')[1:]] == [
        'id="id_letter"',
        'id="id_letter-1"',
        'id="id_letter-2"',
    ]


def test_checkboxes_are_checkboxes_and_keep_every_ticked_option():
    html = render(FieldsForm(data={"letters": ["a", "c"]})["letters"])
    assert 'class="govuk-checkboxes" data-module="govuk-checkboxes"' in html
    assert "govuk-radios" not in html
    assertInHTML(
        '<input class="govuk-checkboxes__input" id="id_letters" name="letters" type="checkbox" value="a" checked>',
        html,
    )
    assertInHTML(
        '<input class="govuk-checkboxes__input" id="id_letters-1" name="letters" type="checkbox" value="b">', html
    )
    assertInHTML(
        '<input class="govuk-checkboxes__input" id="id_letters-2" name="letters" type="checkbox" value="c" checked>',
        html,
    )
    assert 'aria-describedby="id_letters-error"' in render(invalid_form()["letters"])


def test_single_checkbox_is_described_by_its_hint_and_error():
    assertHTMLEqual(
        render(FieldsForm(data={"agree": "on"})["agree"]),
        '<div class="govuk-form-group"><div id="id_agree-hint" class="govuk-hint">You must confirm</div>'
        '<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">'
        '<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="id_agree" name="agree" '
        'type="checkbox" value="on" checked aria-describedby="id_agree-hint">'
        '<label class="govuk-label govuk-checkboxes__label" for="id_agree">I confirm this is true</label>'
        "</div></div></div>",
    )
    html = render(invalid_form()["agree"])
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'aria-describedby="id_agree-hint id_agree-error"' in html
    assert " checked" not in html


def test_labels_hints_and_choices_are_escaped():
    class Risky(forms.Form):
        text = forms.CharField(label="<b>Name</b>", help_text="<i>hint</i>")
        pick = forms.ChoiceField(label="<b>Pick</b>", choices=[("<x>", "<y>")], widget=forms.RadioSelect)

    form = Risky()
    for field in (form["text"], form["pick"]):
        html = render(field)
        assert "<b>" not in html and "<i>" not in html and "<x>" not in html and "<y>" not in html
        assert "&lt;b&gt;" in html
