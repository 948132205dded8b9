from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from numerai import api
from numerai.apis import HealthApi, metrics_view

api_v1 = [
    path("health", HealthApi.as_view(), name="health"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI, its init script a separate file (`docs?script=`): no inline script, no CDN.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include("accounts.urls")),
    path("", include("readings.urls")),
    path("", include("chat.urls")),
    path("", include("realtime.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),  # the web client
    # Anything else under /api/ is a 404 in the envelope, whatever DEBUG says.
    re_path(r"^api/", api.not_found),
]

handler400 = "numerai.api.bad_request"
handler403 = "numerai.api.permission_denied"
handler404 = "numerai.api.not_found"
handler500 = "numerai.api.server_error"
