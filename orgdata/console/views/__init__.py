"""The web console's organisation pages, one module per area. Thin: parse with a form, call one
service or selector, render. Who may do what is decided in access.capabilities (scoped reads in
orgdata.selectors.scope, E5); refusals become pages in core.errors.ConsoleRefusalMiddleware.

dashboard       — the console's start page (any administrator)
base            — organisation_page (who may open a page)
departments     — the department tree
employees       — the scoped list, adding, one record, editing, password resets
transfers       — bulk import and export
administrators  — sub-administrators, the manager role, enterprise profile, directory fields
positions       — position and job-level lists
applications    — the application catalogue and its switches (E6)
"""
