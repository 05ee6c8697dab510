"""Sign-in, two-factor and password forms with GOV.UK wording."""

import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from core.forms import typed_digits
from councils.services import password_reset_handle, password_reset_request
from councils.tasks import password_reset_handle_task
from notifications.services import publish

logger = logging.getLogger(__name__)


class GovukAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password",
        "inactive": "This account has been switched off. Contact the programme team.",
    }


class GovukPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )

    def save(self, **kwargs: object) -> None:
        """Record the request and hand it to a worker, which looks for the account and puts the email in the
        outbox. The request does the same work (one row written, one message to the broker) whether or not an
        account exists, so neither the page nor its timing says which; the row outlives a broker that loses the
        message (the sweep handles it), and the email goes through the outbox's retries like any other."""
        request = password_reset_request(email=self.cleaned_data["email"])
        if not publish(password_reset_handle_task, request.pk):
            # The broker is down (or failed a moment ago, and is left alone): the work is done here rather than
            # wait for the sweep, and the email it makes is left to the outbox's sweep the same way, account or
            # not, so an existing account's reset pays no second timeout (the page's timing must not say which).
            logger.warning("Could not queue a password reset; handling it from the request")
            password_reset_handle(request_id=request.pk)


class GovukSetPasswordForm(SetPasswordForm):
    pass


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code your app shows for Local Digital Fund, for example 123456",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "autofocus": True}
        ),
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app",
            "max_length": "Enter the 6-digit code from your authenticator app",
        },
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (typed_digits(code) and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app, like 123456")
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        help_text="One of the recovery codes you saved when you set up two-factor sign-in. Each works once.",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
        error_messages={"required": "Enter a recovery code", "max_length": "Enter a recovery code"},
    )
