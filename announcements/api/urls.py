from django.urls import path

from announcements.api import views

urlpatterns = [
    path("announcements", views.FeedView.as_view(), name="api-announcements"),
    path("announcements/settings", views.SettingsView.as_view(), name="api-announcements-settings"),
    path("announcements/<int:pk>", views.AnnouncementView.as_view(), name="api-announcement"),
    path("announcements/<int:pk>/read", views.ReadView.as_view(), name="api-announcements-read"),
    path("announcements/inbox/<int:inbox_message_id>/leave-channel", views.LeaveFromInboxView.as_view(),
         name="api-announcements-leave-channel"),
]
