from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        from accounts.signals import x_account_connected
        from metrics.receivers import start_first_sync

        x_account_connected.connect(start_first_sync, dispatch_uid="metrics.start_first_sync")
