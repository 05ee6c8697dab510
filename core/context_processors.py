"""Values every page needs."""

from django.conf import settings


def service(request) -> dict:
    return {"service_name": settings.SERVICE_NAME}
