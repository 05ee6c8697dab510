from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    # The lead council and its partners
    path("projects/", views.project_list, name="list"),
    path("projects/<reference:reference>/", views.project_detail, name="detail"),
    path("projects/<reference:reference>/accept/", views.offer_accept, name="accept"),
    path("projects/<reference:reference>/agreement/", views.agreement_download, name="agreement"),
    path("projects/<reference:reference>/certifier/", views.certifier_choose, name="certifier"),
    path("projects/<reference:reference>/milestones/<int:pk>/evidence/", views.milestone_evidence, name="evidence"),
    path(
        "projects/<reference:reference>/milestones/<int:pk>/evidence/file/",
        views.evidence_download,
        name="evidence_file",
    ),
    path("projects/<reference:reference>/reports/<int:pk>/", views.report_detail, name="report"),
    path("projects/<reference:reference>/reports/<int:pk>/certify/", views.report_certify, name="report_certify"),
    path("projects/<reference:reference>/changes/new/", views.variation_new, name="variation_new"),
    path("projects/<reference:reference>/final-report/", views.final_report, name="final_report"),
    path(
        "projects/<reference:reference>/final-report/outputs/<int:pk>/remove/",
        views.output_remove,
        name="output_remove",
    ),
    path("projects/<reference:reference>/reuse/", views.reuse_record, name="reuse"),
    # Programme staff
    path("pipeline/projects/", views.staff_project_list, name="staff_list"),
    path("pipeline/projects/<reference:reference>/", views.staff_project_detail, name="staff_detail"),
    path("pipeline/projects/<reference:reference>/milestones/new/", views.staff_milestone, name="staff_milestone_new"),
    path("pipeline/projects/<reference:reference>/milestones/<int:pk>/", views.staff_milestone, name="staff_milestone"),
    path("pipeline/projects/<reference:reference>/payments/<int:pk>/", views.staff_payment, name="staff_payment"),
    path("pipeline/projects/<reference:reference>/reports/<int:pk>/", views.staff_report, name="staff_report"),
    path("pipeline/projects/<reference:reference>/changes/<int:pk>/", views.staff_variation, name="staff_variation"),
    path("pipeline/projects/<reference:reference>/withdraw/", views.staff_withdraw, name="staff_withdraw"),
    path("pipeline/projects/<reference:reference>/close/", views.staff_close, name="staff_close"),
]
