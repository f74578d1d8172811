"""URL configuration: the public pages, the admin, the REST API and its schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alliances.opendata.views import (
    download_file,
    download_latest,
    download_latest_file,
    downloads,
    downloads_json,
)
from alliances.platform.health import favicon, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API's browsable
    # pages): the public pages' icon, instead of a 404 in every curator's console.
    path("favicon.ico", favicon, name="favicon"),
    path("downloads/", downloads, name="downloads"),
    path("downloads.json", downloads_json, name="downloads-json"),
    # The current data, whatever has been released: before the versioned files, which "latest" is not.
    path("downloads/latest/", download_latest, name="download-latest"),
    path("downloads/latest/<str:name>", download_latest_file, name="download-latest-file"),
    path("downloads/<str:version>/<str:name>", download_file, name="download-file"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("alliances.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include("alliances.web.urls")),
]
