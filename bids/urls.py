from django.urls import path

from bids import views

app_name = "bids"

urlpatterns = [
    path("", views.bid_list, name="list"),
    path("start/", views.bid_start, name="start"),
    path("<reference:reference>/", views.bid_detail, name="detail"),
    path("<reference:reference>/invitation/", views.invitation_respond, name="invitation"),
    path("<reference:reference>/partners/", views.bid_partners, name="partners"),
    path("<reference:reference>/partners/<int:partner_id>/remove/", views.bid_partner_remove, name="partner_remove"),
    path("<reference:reference>/costs/", views.bid_costs, name="costs"),
    path("<reference:reference>/costs/amount/", views.bid_cost_amount, name="cost_amount"),
    path("<reference:reference>/costs/add/", views.bid_cost_add, name="cost_add"),
    path("<reference:reference>/costs/<int:line_id>/change/", views.bid_cost_change, name="cost_change"),
    path("<reference:reference>/costs/<int:line_id>/remove/", views.bid_cost_remove, name="cost_remove"),
    path("<reference:reference>/documents/", views.bid_documents, name="documents"),
    path("<reference:reference>/documents/<int:document_id>/", views.bid_document_download, name="document"),
    path(
        "<reference:reference>/documents/<int:document_id>/delete/", views.bid_document_delete, name="document_delete"
    ),
    path("<reference:reference>/check/", views.bid_check, name="check"),
    path("<reference:reference>/submitted/", views.bid_submitted, name="submitted"),
    path("<reference:reference>/withdraw/", views.bid_withdraw, name="withdraw"),
    path("<reference:reference>/print/", views.bid_print, name="print"),
    path("<reference:reference>/next-phase/", views.bid_next_phase, name="next_phase"),
    path("<reference:reference>/questions/<int:pk>/", views.clarification_answer, name="clarification"),
    path(
        "<reference:reference>/questions/<int:pk>/attachment/",
        views.clarification_attachment,
        name="clarification_attachment",
    ),
    # The task-list sections edited on a form page: about, problem, approach, timeline.
    path("<reference:reference>/<slug:section>/", views.bid_section, name="section"),
]
