from django.urls import path

from tenants.console import views

urlpatterns = [path("register/", views.register, name="register")]
