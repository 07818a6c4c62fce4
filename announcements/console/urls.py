from django.urls import path

from announcements.console import views

app_name = "announcements-console"

urlpatterns = [
    path("", views.announcements, name="announcements"),
    path("channels/", views.create_channel, name="create_channel"),
]
