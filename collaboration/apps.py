from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    name = "collaboration"
    verbose_name = "Collaboration: partner calls, similar work"

    def ready(self) -> None:
        from collaboration import receivers, rules  # noqa: F401  (connect receivers, register permissions)
