from django.urls import path

from bids import views

app_name = "bids"

urlpatterns = [
    path("", views.bid_list, name="list"),
    path("start/", views.bid_start, name="start"),
    path("<str:reference>/", views.bid_detail, name="detail"),
    path("<str:reference>/invitation/", views.invitation_respond, name="invitation"),
    path("<str:reference>/partners/", views.bid_partners, name="partners"),
    path("<str:reference>/partners/<int:partner_id>/remove/", views.bid_partner_remove, name="partner_remove"),
    path("<str:reference>/costs/", views.bid_costs, name="costs"),
    path("<str:reference>/costs/amount/", views.bid_cost_amount, name="cost_amount"),
    path("<str:reference>/costs/add/", views.bid_cost_add, name="cost_add"),
    path("<str:reference>/costs/<int:line_id>/change/", views.bid_cost_change, name="cost_change"),
    path("<str:reference>/costs/<int:line_id>/remove/", views.bid_cost_remove, name="cost_remove"),
    path("<str:reference>/documents/", views.bid_documents, name="documents"),
    path("<str:reference>/documents/<int:document_id>/", views.bid_document_download, name="document"),
    path("<str:reference>/documents/<int:document_id>/delete/", views.bid_document_delete, name="document_delete"),
    path("<str:reference>/check/", views.bid_check, name="check"),
    path("<str:reference>/submitted/", views.bid_submitted, name="submitted"),
    path("<str:reference>/withdraw/", views.bid_withdraw, name="withdraw"),
    path("<str:reference>/print/", views.bid_print, name="print"),
    # The task-list sections edited on a form page: about, problem, approach, timeline.
    path("<str:reference>/<slug:section>/", views.bid_section, name="section"),
]
