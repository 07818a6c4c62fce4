"""C9/S1: partners the enterprise registers itself, each with the purpose people consent to for
sharing with it and, where it keeps the data outside mainland China, the separate cross-border
authorisation people give before anything reaches it."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.actors import require_actor
from consent import catalogue as purpose_catalogue
from consent import state_cache
from consent.models import MAINLAND_CHINA, Purpose, Recipient
from consent.services import catalogue as catalogue_services


def sharing_purpose_code(recipient_code: str) -> str:
    return f"share.{recipient_code}"


def cross_border_purpose_code(recipient_code: str) -> str:
    """S1: the separate authorisation for a transfer to this recipient outside mainland China."""
    return f"cross_border.{recipient_code}"


def _types(pi_types, language: str) -> str:
    index = 1 if language == "zh" else 0
    return ("、" if language == "zh" else ", ").join(purpose_catalogue.PI_TYPES[t][index] for t in pi_types)


def _purpose(*, code, recipient, name_en, name_zh, statement_en, statement_zh) -> Purpose:
    purpose = Purpose(code=code, kind=Purpose.Kind.SHARING, name_en=name_en, name_zh_hans=name_zh,
                      statement_en=statement_en, statement_zh_hans=statement_zh, source="C9", recipient=recipient)
    purpose.is_from_catalogue = False
    purpose.full_clean()
    purpose.save()
    catalogue_services.record_revision(purpose)
    return purpose


@transaction.atomic
def register_partner(*, actor, code: str, name_en: str, name_zh_hans: str, purpose_en: str, purpose_zh_hans: str,
                     pi_types: list[str], region: str, rights_abroad_en: str = "",
                     rights_abroad_zh_hans: str = "") -> Recipient:
    """C9: the enterprise registers a partner that receives `pi_types` for a purpose, kept in
    `region`. People are asked separately (purpose share.<code>); nobody has consented yet.

    S1: a region other than mainland China also adds the cross-border authorisation each person
    gives separately (cross_border.<code>), saying what goes, to whom, where, why and how to
    exercise their rights there — which must then be given. Refuses an existing code, unknown
    information types, none at all, and a missing actor.
    """
    require_actor(actor)
    code = (code or "").strip().lower()
    region = (region or "").strip().upper()
    errors = {}
    if Recipient.objects.filter(code=code).exists() or Purpose.objects.filter(
            code__in=[sharing_purpose_code(code), cross_border_purpose_code(code)]).exists():
        errors["code"] = [_("A recipient with this code exists.")]
    unknown = [t for t in pi_types if t not in purpose_catalogue.PI_TYPES]
    if unknown or not pi_types:
        errors["pi_types"] = [_("Choose the personal-information types the recipient receives.")]
    if not region.isalpha() or len(region) != 2:
        errors["region"] = [_("Give the country or region as a two-letter code (CN for mainland China).")]
    cross_border = region != MAINLAND_CHINA
    if cross_border and not (rights_abroad_en.strip() and rights_abroad_zh_hans.strip()):
        errors["rights_abroad_en"] = [_("Say how people exercise their rights with a recipient outside mainland China.")]
    if errors:
        raise ValidationError(errors)
    recipient = Recipient(code=code, kind=Recipient.Kind.PARTNER, name_en=name_en, name_zh_hans=name_zh_hans,
                          purpose_en=purpose_en, purpose_zh_hans=purpose_zh_hans, pi_types=list(pi_types),
                          region=region, rights_abroad_en=rights_abroad_en.strip(),
                          rights_abroad_zh_hans=rights_abroad_zh_hans.strip())
    recipient.is_registered_by_enterprise = True
    recipient.full_clean()
    recipient.save()
    _purpose(code=sharing_purpose_code(code), recipient=recipient,
             name_en=f"Sharing with {name_en}", name_zh=f"向{name_zh_hans}共享",
             statement_en=f"Share your {_types(pi_types, 'en').lower()} with {name_en} for: {purpose_en}.",
             statement_zh=f"为{purpose_zh_hans}，向{name_zh_hans}共享您的{_types(pi_types, 'zh')}。")
    if cross_border:
        _purpose(code=cross_border_purpose_code(code), recipient=recipient,
                 name_en=f"Cross-border transfer to {name_en}", name_zh=f"向{name_zh_hans}跨境提供",
                 statement_en=(f"What: your {_types(pi_types, 'en').lower()}. To whom: {name_en}. "
                               f"Where: {region}, outside mainland China. Why: {purpose_en}. "
                               f"Your rights there: {recipient.rights_abroad_en}"),
                 statement_zh=(f"提供的信息：您的{_types(pi_types, 'zh')}。接收方：{name_zh_hans}。"
                               f"所在地：{region}（中国大陆以外）。目的：{purpose_zh_hans}。"
                               f"您在当地行使权利的方式：{recipient.rights_abroad_zh_hans}"))
    state_cache.forget_catalogue()
    return recipient
