"""Factories for privacy-policy versions (public schema)."""
from datetime import timedelta

import factory
from django.utils import timezone

from policies.models import PolicyVersion


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    """A published version; pass `days_ago` to publish it that many days before now."""

    class Meta:
        model = PolicyVersion

    class Params:
        days_ago = 8

    version = factory.Sequence(lambda n: f"2026.{n + 1}")
    title_en = "Privacy policy"
    title_zh_hans = "隐私政策"
    text_en = "We process your personal information only as described here."
    text_zh_hans = "我们仅按本政策所述处理您的个人信息。"
    summary_en = "Recipients of sharing changed."
    summary_zh_hans = "共享的接收方发生变化。"
    published_at = factory.LazyAttribute(lambda o: timezone.now() - timedelta(days=o.days_ago))
    is_significant = False
    significant_reasons = factory.LazyAttribute(lambda o: ["recipients"] if o.is_significant else [])
