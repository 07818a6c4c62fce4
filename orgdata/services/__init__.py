"""Every write to the organisation data, one module per area:

departments     — the department tree (create, rename, move, merge, delete-when-empty)
employees       — one person's record: add (creates the account, E2), correct, own profile (R1)
positions       — the position and job-level lists
administrators  — manager transfer, sub-administrators, password resets, enterprise profile (E5)
imports         — bulk import, all-or-nothing (E7, E8): a package (jobs, progress, rows, checks, writing)
exports         — scoped, masked export (E7, X2)
applications    — version authorisation (E6)
"""
