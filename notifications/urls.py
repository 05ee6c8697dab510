from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_mark_all_read, name="read_all"),
    path("preferences/", views.preference_update_view, name="preferences"),
    path("outbox/", views.staff_list, name="staff_list"),
    path("outbox/<int:pk>/retry/", views.staff_retry, name="retry"),
    path("outbox/retry-failed/", views.staff_retry_failed, name="retry_failed"),
    path("<int:pk>/", views.notification_detail, name="detail"),
]
