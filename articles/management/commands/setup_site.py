"""
Prepare a site for use: editorial roles, and with --demo the demo content and logins.

Safe to run any number of times: roles are brought up to date, demo users are created once
and their passwords reset to the printed ones.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

EDITORS = "Editors"
REVIEWERS = "Reviewers"
SITE_ADMINS = "Site admins"

# Demo logins exist only in debug, and their passwords are printed, so they are never a
# production credential.
DEMO_USERS = [
    # username, password, first, last, role
    ("editor", "editor-demo-pass", "Eddie", "Editor", EDITORS),
    ("reviewer", "reviewer-demo-pass", "Jane", "Roe", REVIEWERS),
    ("reviewer2", "reviewer2-demo-pass", "Marcus", "Lee", REVIEWERS),
    ("admin", "admin-demo-pass", "Ada", "Admin", None),
]


def role_permissions() -> dict[str, list[Permission]]:
    """
    The permissions of each editorial role.

    Editors write, send for review and publish: everything on articles, references and
    figures, and view access to the review records. They never get `reviews.sign_revision`
    (and the signing service refuses anyone without a verified reviewer profile in any case).
    Reviewers read articles, references and review records and sign through the review screen
    (`reviews.sign_revision`); whether a given reviewer may sign a given revision is decided by
    the signing service (verified profile, separation of duties). They cannot edit or publish.
    Site admins verify reviewers' credentials and manage reviewer profiles, and can read
    everything editors and reviewers can; they do not sign or publish by virtue of the role.
    """
    # The review interval is policy, not editing: Site admins hold that permission, not Editors.
    policy_perms = Permission.objects.filter(
        content_type__app_label="articles", codename="change_review_interval"
    )
    # Nor may they delete a topic: that would drop its review interval from its articles.
    policy_perms = policy_perms | Permission.objects.filter(
        content_type__app_label="articles", codename="delete_topic"
    )
    editable = Permission.objects.filter(
        content_type__app_label__in=["articles", "references", "figures"]
    ).exclude(pk__in=policy_perms)
    viewable = Permission.objects.filter(
        content_type__app_label__in=["articles", "references", "reviews", "figures"],
        codename__startswith="view_",
    )
    reviewer_extra = Permission.objects.filter(
        content_type__app_label="reviews", codename="sign_revision"
    )
    admin_extra = Permission.objects.filter(
        content_type__app_label="reviews",
        codename__in=[
            "verify_reviewerprofile",
            "add_reviewerprofile",
            "change_reviewerprofile",
        ],
    )
    return {
        EDITORS: list(editable) + list(viewable),
        REVIEWERS: list(viewable) + list(reviewer_extra),
        SITE_ADMINS: list(viewable) + list(admin_extra) + list(policy_perms),
    }


def roles_update() -> None:
    """Create the editorial groups, or bring their permissions up to date."""
    for name, permissions in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


class Command(BaseCommand):
    help = "Create or update the editorial roles; with --demo, load demo content and logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also load demo content (if its loader exists) and demo logins (debug only).",
        )

    def handle(self, *args, demo: bool, **options):
        roles_update()
        self.stdout.write("Editorial roles are up to date: Editors, Reviewers, Site admins.")
        # After a deploy: pages rendered by older templates or review settings are rebuilt.
        call_command("publications_render", stdout=self.stdout)
        if not demo:
            return
        if not settings.DEBUG:
            raise CommandError("Demo logins are created only when DJANGO_DEBUG is on.")
        if not settings.SIGNING_KEY and str(
            settings.DEV_SIGNING_KEY_FILE
        ) == settings.SIGNING_KEY_FILE:
            # Development: the demo's signatures need a key; make the ignored dev key if absent.
            call_command(
                "signing_key_create", settings.SIGNING_KEY_FILE, if_missing=True, stdout=self.stdout
            )
        users = self.create_demo_users()
        if "loaddemo" in get_commands():
            call_command("loaddemo", stdout=self.stdout)
        self.print_logins(users)

    def create_demo_users(self):
        User = get_user_model()
        users = []
        for username, password, first, last, role in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@example.com"
            user.is_staff = True
            user.is_superuser = role is None
            user.set_password(password)
            user.save()
            if role:
                user.groups.set([Group.objects.get(name=role)])
            users.append((username, password, role or "Site admin (superuser)"))
        return users

    def print_logins(self, users):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins (development only) at /admin/:"))
        for username, password, role in users:
            self.stdout.write(f"  {role:<24} username: {username:<10} password: {password}")
        self.stdout.write("")
