"""Staff pipeline pages (/pipeline/…), public funded projects (/funded/…) and the read API (/api/…)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from pipeline import api, views

app_name = "pipeline"

router = SimpleRouter()
router.register("api/bids", api.BidViewSet, basename="api-bid")
router.register("api/rounds", api.RoundViewSet, basename="api-round")
router.register("api/projects", api.ProjectViewSet, basename="api-project")

urlpatterns = [
    path("pipeline/", views.dashboard, name="dashboard"),
    path("pipeline/bids/", views.bid_table, name="bids"),
    path("pipeline/bids.csv", views.bid_csv, name="bids_csv"),
    path("pipeline/project-payments.csv", views.finance_csv, name="finance_csv"),
    path("pipeline/bids/<reference:reference>/", views.bid_detail, name="bid_detail"),
    path("pipeline/bids/<reference:reference>/sift/", views.bid_sift, name="bid_sift"),
    path("pipeline/bids/<reference:reference>/questions/new/", views.clarification_ask, name="clarification_ask"),
    path(
        "pipeline/bids/<reference:reference>/questions/<int:pk>/discard/",
        views.clarification_discard,
        name="clarification_discard",
    ),
    path("pipeline/bids/<reference:reference>/<slug:decision>/", views.bid_decide, name="bid_decide"),
    path("pipeline/rounds/", views.round_list, name="rounds"),
    path("pipeline/rounds/new/", views.round_new, name="round_new"),
    path("pipeline/rounds/<int:pk>/", views.round_detail, name="round"),
    path("pipeline/rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("pipeline/rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("pipeline/rounds/<int:pk>/sift/", views.round_sift, name="round_sift"),
    path("pipeline/rounds/<int:pk>/remind/<int:assessor_pk>/", views.round_remind, name="round_remind"),
    path("pipeline/rounds/<int:pk>/batch-award/", views.batch_award, name="batch_award"),
    path("pipeline/rounds/<int:pk>/<slug:step>/", views.round_move, name="round_move"),
    path("funded/", views.funded, name="funded"),
    path("funded/360giving.json", views.funded_package, name="funded_package"),
    path("funded/<code:code>/360giving.json", views.funded_package, name="funded_round_package"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/360giving/", api.OpenDataView.as_view(), name="api_360giving"),
    *router.urls,
]
