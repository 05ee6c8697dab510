from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/declare/", views.assessment_declare, name="declare"),
    path("<int:pk>/score/", views.assessment_score, name="score"),
    path("<int:pk>/question/", views.assessment_propose_question, name="propose_question"),
    path("<int:pk>/unassign/", views.assessment_unassign, name="unassign"),
    path("<int:pk>/reopen/", views.assessment_reopen, name="reopen"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/rounds/<int:pk>/", views.round_overview, name="round"),
    path("staff/rounds/<int:pk>/assign/", views.round_bulk_assign, name="bulk_assign"),
    path("staff/rounds/<int:pk>/ranking/", views.round_ranking, name="ranking"),
    path("staff/rounds/<int:pk>/calibration/", views.round_calibration, name="calibration"),
    path("staff/rounds/<int:pk>/panel-pack/", views.round_panel_pack, name="panel_pack"),
    path("staff/bids/<reference:reference>/", views.bid_assessments, name="bid"),
    path("staff/bids/<reference:reference>/assign/", views.bid_assign, name="assign"),
    path("staff/bids/<reference:reference>/moderate/<int:criterion_pk>/", views.bid_moderate, name="moderate"),
]
