from django.apps import AppConfig


class FiguresConfig(AppConfig):
    """
    The figure library: uploaded images, checked and re-encoded once, stored under names made
    of their SHA-256, and served only while their bytes still hash to that name.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "figures"
    verbose_name = "Figure library"
