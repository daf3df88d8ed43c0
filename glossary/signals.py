"""Keep the term search index in step with writes from any path (services, admin, seeding)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from glossary.models import Term, TermAlias
from glossary.search import search_index_update


@receiver(post_save, sender=Term)
@receiver(post_delete, sender=Term)
def term_reindex(sender, instance, **kwargs):
    search_index_update([instance.pk])


@receiver(post_save, sender=TermAlias)
@receiver(post_delete, sender=TermAlias)
def alias_reindex(sender, instance, **kwargs):
    if Term.objects.filter(pk=instance.term_id).exists():
        search_index_update([instance.term_id])
