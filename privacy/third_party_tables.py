"""The data map's entries for the tables our own models do not declare: third-party apps' tables
(Django's auth, sessions, admin log and migrations, django-guardian, django-axes) and the
many-to-many tables Django creates for accounts.User. Each is classified like one of ours (see
privacy.registry); the field names of those with a model are checked once the apps are loaded
(privacy.apps), so a library upgrade that renames a column fails loudly.
"""
from __future__ import annotations

from privacy.registry import PI, Category, Declaration, Erasure, RetentionClass

_LOGIN_LOG = "login records of django-axes, kept for the network-log period (S2)"


def _login_log_field(note: str) -> PI:
    # S2: axes' rows are network logs: kept 6 months (settings.RETENTION_MONTHS["login_log"]) from
    # the attempt, then deleted by the retention job; accounts.throttling stores only a keyed digest
    # of the login typed, never the number.
    return PI(Category.BASIC, purpose="account_security", retention=RetentionClass.ACCESS_LOG,
              retention_starts="attempt_time", retention_setting="login_log", erasure=Erasure.KEEP_LEGAL_BASIS,
              note=note)


_AXES_FIELDS = {
    "username": _login_log_field("keyed digest of the login typed (accounts.throttling)"),
    "ip_address": _login_log_field("address the attempt came from"),
    "user_agent": _login_log_field("browser or app that sent it"),
}
_AXES_REFERENCE = "username holds the keyed digest of the login typed (the account's mobile number)"

TABLES: tuple[Declaration, ...] = (
    # Django
    Declaration(table="django_migrations", model_label=None, subject=None, fields={},
                reason="which schema migrations ran"),
    Declaration(table="django_content_type", model_label="contenttypes.ContentType", subject=None, fields={},
                reason="the names of the models"),
    Declaration(table="auth_permission", model_label="auth.Permission", subject=None, fields={},
                reason="the catalogue of model permissions"),
    Declaration(table="auth_group", model_label="auth.Group", subject=None, fields={},
                reason="named groups of permissions"),
    Declaration(table="auth_group_permissions", model_label="auth.Group_permissions", subject=None, fields={},
                reason="which permissions a group holds"),
    Declaration(table="accounts_user_groups", model_label="accounts.User_groups", subject="user", fields={},
                erasure=Erasure.DELETE, title="an account's groups"),
    Declaration(table="accounts_user_user_permissions", model_label="accounts.User_user_permissions",
                subject="user", fields={}, erasure=Erasure.DELETE, title="an account's own permissions"),
    Declaration(
        table="django_session", model_label="sessions.Session", subject=None,
        person_reference="session_data holds the signed-in account's id",
        fields={"session_data": PI(Category.BASIC, purpose="account_login", erasure=Erasure.DELETE,
                                   note="ends at expire_date; the person's sessions end when they are erased")},
        title="console sessions"),
    Declaration(
        table="django_admin_log", model_label="admin.LogEntry", subject=None,
        person_reference="object_id/object_repr name the record changed, an account when one was",
        fields={"object_repr": PI(Category.BASIC, purpose="security_audit", erasure=Erasure.ANONYMISE,
                                  replacement="", note="the changed record's name as the Django admin showed it"),
                "change_message": PI(Category.BASIC, purpose="security_audit", erasure=Erasure.ANONYMISE,
                                     replacement="", note="the names of the fields changed")},
        actor_links={"user": "the platform staff member who acted in the Django admin"},
        title="Django admin actions (public schema)"),
    # django-guardian
    Declaration(table="guardian_userobjectpermission", model_label="guardian.UserObjectPermission",
                subject="user", fields={}, erasure=Erasure.DELETE, title="per-object grants to one account"),
    Declaration(table="guardian_groupobjectpermission", model_label="guardian.GroupObjectPermission", subject=None,
                fields={}, reason="per-object grants to a group, not to a person"),
    # django-axes
    Declaration(table="axes_accesslog", model_label="axes.AccessLog", subject=None,
                person_reference=_AXES_REFERENCE, fields=dict(_AXES_FIELDS), note=_LOGIN_LOG,
                title="axes login records"),
    Declaration(table="axes_accessattempt", model_label="axes.AccessAttempt", subject=None,
                person_reference=_AXES_REFERENCE, fields=dict(_AXES_FIELDS), note=_LOGIN_LOG,
                title="axes login failure counters"),
    Declaration(table="axes_accessfailurelog", model_label="axes.AccessFailureLog", subject=None,
                person_reference=_AXES_REFERENCE, fields=dict(_AXES_FIELDS), note=_LOGIN_LOG,
                title="axes login failures"),
    Declaration(table="axes_accessattemptexpiration", model_label="axes.AccessAttemptExpiration", subject=None,
                person_reference="access_attempt: the failure counter it belongs to", fields={},
                erasure=Erasure.DELETE, note="deleted with its failure counter", title="axes counter expiries"),
)


def check_field_names() -> None:
    """Refuse (ValueError) a declaration naming a field its model does not have. Run once the apps
    are loaded (privacy.apps)."""
    from privacy.registry import field_sets

    for declaration in TABLES:
        if declaration.model_label:
            model = declaration.model
            declaration.check_fields(*field_sets(model._meta.get_fields()))
