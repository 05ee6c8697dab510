from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessment"

    def ready(self) -> None:
        from assessments import receivers

        receivers.connect()
