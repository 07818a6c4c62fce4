from django.urls import path

from rights.api import views

urlpatterns = [
    path("rights/requests", views.RequestListView.as_view(), name="api-rights-requests"),
    path("rights/requests/<int:pk>", views.RequestDetailView.as_view(), name="api-rights-request"),
    path("rights/requests/<int:pk>/withdraw", views.WithdrawRequestView.as_view(), name="api-rights-withdraw"),
    path("rights/inbox", views.InboxView.as_view(), name="api-rights-inbox"),
    path("rights/inbox/<int:pk>/read", views.InboxReadView.as_view(), name="api-rights-inbox-read"),
    path("rights/protection-contact", views.ProtectionContactView.as_view(), name="api-rights-protection-contact"),
    path("rights/arrangement", views.ArrangementView.as_view(), name="api-rights-arrangement"),
]
