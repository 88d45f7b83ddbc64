from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """E-mail notifications, each recorded once and sent by a task outside the request."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"
