"""Values every page needs."""

from django.conf import settings


def service(request) -> dict:
    return {
        "service_name": settings.SERVICE_NAME,
        "feedback_url": settings.FEEDBACK_URL,
        "feedback_by_email": settings.FEEDBACK_URL.startswith("mailto:"),
        "demo_data": settings.DEMO_DATA,
    }
