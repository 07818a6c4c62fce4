"""Every non-trivial read of the organisation data, already scoped to who is asking; one module per
sub-domain:

scope         — who administers which departments and people (E5): the scoped querysets
address_book  — administrators' reads: search, department tree and labels, positions, job levels
applications  — version authorisation (E6): the catalogue and who has which application on
directory     — the mobile directory (E7) and a person's own record (R1)
"""
