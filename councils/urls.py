"""Sign-in's second step and the account page. Not namespaced: the two-factor middleware lets these through."""

from django.urls import path

from councils import views

urlpatterns = [
    path("sign-in/two-factor/", views.two_factor_challenge, name="two_factor_challenge"),
    path("sign-in/recovery-code/", views.two_factor_recovery, name="two_factor_recovery"),
    path("account/", views.account, name="account"),
    path("account/two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/qr-code.svg", views.two_factor_qr, name="two_factor_qr"),
    path("account/two-factor/recovery-codes/", views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("account/two-factor/turn-off/", views.two_factor_turn_off, name="two_factor_turn_off"),
]
