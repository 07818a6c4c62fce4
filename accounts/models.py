import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, mobile, display_name, password=None, **extra):
        user = self.model(mobile=mobile, display_name=display_name, **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, mobile, display_name, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.PLATFORM_STAFF)
        return self.create_user(mobile, display_name, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's account inside one schema.

    In an enterprise schema: one of its people (E2: created by its administrators, never by
    self-registration). In the public schema: platform support staff. A person working for two
    enterprises has two independent accounts.
    """

    class Role(models.TextChoices):
        MANAGER = "manager", _("Enterprise manager")
        SUB_ADMIN = "sub_admin", _("Sub-administrator")
        EMPLOYEE = "employee", _("Employee")
        PLATFORM_STAFF = "platform_staff", _("Platform support staff")

    mobile = models.CharField(_("mobile number"), max_length=20, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    must_change_password = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "mobile"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self):
        return self.display_name


class DeviceToken(models.Model):
    """A mobile API credential, bound to the device it was issued to (X6).

    Only a SHA-256 digest of the token is stored, so a database leak yields no usable tokens.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_tokens")
    digest = models.CharField(max_length=64, unique=True)
    device_id = models.CharField(max_length=128)
    device_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"]), models.Index(fields=["expires_at"])]

    @staticmethod
    def digest_of(raw_token: str) -> str:
        return hashlib.sha256(raw_token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
