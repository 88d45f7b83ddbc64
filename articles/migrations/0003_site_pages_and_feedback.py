"""
Site pages, readers' problem reports and public correction notes; seeds the editorial policy.
"""

import articles.content.sanitize
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def seed_editorial_policy(apps, schema_editor):
    """Create the editorial policy page with its default text, unless one exists already."""
    from articles.public.site_defaults import EDITORIAL_POLICY_HTML, EDITORIAL_POLICY_TITLE

    SitePage = apps.get_model("articles", "SitePage")
    SitePage.objects.get_or_create(
        slug="editorial-policy",
        defaults={"title": EDITORIAL_POLICY_TITLE, "body": EDITORIAL_POLICY_HTML},
    )


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0002_scheduledpublication'),
    ]

    operations = [
        migrations.CreateModel(
            name='SitePage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Which page this is, e.g. "editorial-policy". The site looks pages up by it.', max_length=80, unique=True)),
                ('title', models.CharField(help_text="The page's heading.", max_length=200)),
                ('body', models.TextField(help_text='The page text. Headings, lists and links are kept; every image needs alt text.', validators=[articles.content.sanitize.validate_images_have_alt])),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='When the page was last changed (shown to readers).')),
            ],
            options={
                'ordering': ['title'],
                'constraints': [models.CheckConstraint(condition=models.Q(('title', ''), _negated=True), name='sitepage_title_not_blank')],
            },
        ),
        migrations.CreateModel(
            name='CorrectionNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(help_text='What was corrected and why, in plain language, as readers will see it.')),
                ('published_at', models.DateTimeField(default=django.utils.timezone.now, help_text='The date shown with the note.')),
                ('article', models.ForeignKey(help_text='The article that was corrected.', on_delete=django.db.models.deletion.CASCADE, related_name='correction_notes', to='articles.article')),
            ],
            options={
                'ordering': ['-published_at', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='correctionnote_text_not_blank')],
            },
        ),
        migrations.CreateModel(
            name='ProblemReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message', models.TextField(help_text='What the reader says is wrong.', max_length=2000)),
                ('email', models.EmailField(blank=True, help_text="The reader's address, if they want an answer. Never published.", max_length=254)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, help_text='When the report was sent.')),
                ('status', models.CharField(choices=[('new', 'New'), ('triaged', 'Triaged'), ('fixed', 'Fixed'), ('declined', 'Declined')], db_index=True, default='new', help_text='Where the report stands in the corrections queue.', max_length=10)),
                ('ip_hash', models.CharField(blank=True, editable=False, help_text="A keyed hash of the sender's address (the address itself is not kept).", max_length=64)),
                ('editor_notes', models.TextField(blank=True, help_text='Notes for the editorial team; never shown to the public.')),
                ('article', models.ForeignKey(help_text='The page the reader was reading.', on_delete=django.db.models.deletion.CASCADE, related_name='problem_reports', to='articles.article')),
                ('revision', models.ForeignKey(blank=True, help_text='The live revision when the report was sent (what the reader saw).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='problem_reports', to='articles.articlerevision')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['new', 'triaged', 'fixed', 'declined'])), name='problemreport_status_valid')],
            },
        ),
        migrations.RunPython(seed_editorial_policy, migrations.RunPython.noop),
    ]
