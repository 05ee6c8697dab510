from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = "Councils and people"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from councils.signin import remember_two_factor_state

        user_logged_in.connect(remember_two_factor_state, dispatch_uid="councils.two_factor_state")
