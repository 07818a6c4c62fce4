"""The personal-information registry: every model field holding personal information is declared
once, next to its model, and export, erasure, audit, retention and the data map derive from it.

(Skeleton of the shared vocabulary; the privacy-core issue (#3) builds the rest here.)
"""
from django.db import models


class Category(models.TextChoices):
    BASIC = "basic", "Basic personal information"
    # C2: ID number, location/whereabouts, biometrics, bank account, property, transactions.
    SENSITIVE = "sensitive", "Sensitive personal information"


class Erasure(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"
    KEEP_LEGAL_BASIS = "keep_legal_basis", "Keep under a legal basis"


class RetentionClass(models.TextChoices):
    # S2: network/access logs at least 6 months; transaction records at least 3 years;
    # everything else only as long as its purpose needs.
    ACCESS_LOG = "access_log", "Network and access logs (≥ 6 months)"
    TRANSACTION = "transaction", "Transaction records (≥ 3 years)"
    PURPOSE = "purpose", "As long as the purpose needs"
