"""URLs of the whole service."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import views as core_views
from councils.forms import GovukAuthenticationForm, GovukPasswordResetForm, GovukSetPasswordForm

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accessibility/", core_views.accessibility, name="accessibility"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(authentication_form=GovukAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("councils.urls")),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=GovukPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=GovukSetPasswordForm),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Before bids: the lead's call-for-partners pages sit under a bid's address.
    path("", include("collaboration.urls")),
    path("bids/", include("bids.urls")),
    path("assessments/", include("assessments.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("projects.urls")),
    path("", include("pipeline.urls")),
    path("django-admin/", admin.site.urls),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
