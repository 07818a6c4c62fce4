"""Every write of the consent app, one module per sub-domain:

catalogue    — the enterprise's purposes and recipients: kept in step with consent.catalogue, new
               purposes (C7), revised recipients (C9)
ledger       — answers appended to each person's ledger: consent given and withdrawn (C3, C6),
               policy accepted (C8); and the record of each disclosure (C9, C11)
legal_bases  — processing without consent under a recorded legal basis (C12)
sharing      — information handed to recipients: application switches, service use, disclosure
erasure      — deleting a person's consent records for lawful erasure (R5/E9)

Each function appending to a person's ledger deletes the person's cached state inside its
transaction and again after commit (consent.state_cache), so the next request sees the change.
Import the module, not its functions: `from consent.services import ledger as ledger_services`.
"""
