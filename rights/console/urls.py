from django.urls import path

from rights.console import views

app_name = "rights-console"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="request"),
    path("<int:pk>/authorise/", views.authorise, name="authorise"),
    path("<int:pk>/refuse/", views.refuse, name="refuse"),
    path("<int:pk>/verify-proof/", views.verify_proof, name="verify_proof"),
    path("<int:pk>/download-link/", views.download_link, name="download_link"),
    path("<int:pk>/download/", views.download, name="download"),
    path("next-of-kin/<int:employee_pk>/", views.next_of_kin, name="next_of_kin"),
    path("<int:pk>/correct-value/", views.reveal_correct_value, name="reveal_correct_value"),
    path("messages/", views.messages_page, name="messages"),
    path("messages/<int:pk>/read/", views.message_read, name="message_read"),
    path("protection-contact/", views.protection_contact, name="protection_contact"),
    path("protection-contact/remove/", views.remove_protection_contact, name="remove_protection_contact"),
]
