from django.urls import path

from bids import views

app_name = "bids"

urlpatterns = [
    path("", views.bid_list, name="list"),
    path("<str:reference>/", views.bid_detail, name="detail"),
    path("<str:reference>/invitation/", views.invitation_respond, name="invitation"),
]
