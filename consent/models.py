# Consent records arrive with the consent issue (#5).
