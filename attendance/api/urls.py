from django.urls import path

from attendance.api import views

urlpatterns = [
    path("attendance/check-ins", views.CheckInView.as_view(), name="api-attendance-check-ins"),
    path("attendance/face/enrolment", views.FaceEnrolmentView.as_view(), name="api-attendance-face-enrolment"),
    path("attendance/tracking/pings", views.TrackingPingView.as_view(), name="api-attendance-tracking-ping"),
]
