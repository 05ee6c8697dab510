"""The partner finder's pages. Included before bids' own URLs (config/urls.py): the lead's call pages sit
under the bid's address, beside the task-list sections."""

from django.urls import path

from collaboration import views

app_name = "collaboration"

urlpatterns = [
    path("partner-calls/", views.call_list, name="calls"),
    path("partner-calls/<reference:reference>/", views.call_detail, name="call"),
    path("bids/<reference:reference>/partner-call/", views.call_pitch, name="pitch"),
    path("bids/<reference:reference>/partner-call/close/", views.call_close, name="close"),
    path("bids/<reference:reference>/partner-call/requests/<int:request_id>/", views.request_answer, name="request"),
]
