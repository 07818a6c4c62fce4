"""R2: downloading the answer to a copy request (included under /api/v1/ by config.urls_tenant)."""
from django.urls import path

from rights.api import downloads

urlpatterns = [
    path("rights/requests/<int:request_id>/download-link", downloads.DownloadLinkView.as_view(),
         name="api-rights-download-link"),
    path("rights/requests/<int:request_id>/download", downloads.DownloadView.as_view(), name="api-rights-download"),
]
