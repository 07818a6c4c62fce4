from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="api-login"),
    path("auth/logout", views.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all", views.LogoutEverywhereView.as_view(), name="api-logout-all"),
    path("auth/password", views.PasswordChangeView.as_view(), name="api-password"),
    path("auth/devices", views.DeviceListView.as_view(), name="api-devices"),
    path("me", views.MeView.as_view(), name="api-me"),
    path("me/verification-codes", views.VerificationCodeView.as_view(), name="api-verification-codes"),
]
