from django.urls import path

from tenants.api.views import EnterpriseLookupView

urlpatterns = [path("lookup", EnterpriseLookupView.as_view(), name="enterprise-lookup")]
