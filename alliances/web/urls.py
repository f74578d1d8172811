"""Public pages: included at the site's root by config/urls.py."""

from django.urls import path

from alliances.web import map_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("countries/<str:identifier>/", views.country, name="country"),
    path("organizations/<str:identifier>/", views.organization, name="organization"),
    path("organizations/<str:identifier>/map.svg", map_views.organization_map_svg, name="organization-map-svg"),
    path("embed/organizations/<str:identifier>/map/", map_views.organization_map_embed, name="organization-map-embed"),
]
