from django.urls import path

from approvals.api import views

urlpatterns = [
    path("approvals/kinds", views.KindListView.as_view(), name="api-approvals-kinds"),
    path("approvals/requests", views.RequestListView.as_view(), name="api-approvals-requests"),
    path("approvals/requests/<int:pk>", views.RequestDetailView.as_view(), name="api-approvals-request"),
    path("approvals/requests/<int:pk>/decision", views.DecisionView.as_view(), name="api-approvals-decision"),
    path("approvals/requests/<int:pk>/resubmit", views.ResubmitView.as_view(), name="api-approvals-resubmit"),
    path("approvals/requests/<int:pk>/withdraw", views.WithdrawView.as_view(), name="api-approvals-withdraw"),
    path("approvals/inbox", views.InboxView.as_view(), name="api-approvals-inbox"),
]
