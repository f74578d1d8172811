"""Public pages: included at the site's root by config/urls.py."""

from django.urls import path

from alliances.web import embed, facts, map_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("cite/", facts.dataset_cite, name="dataset-cite"),
    path("search/", views.search, name="search"),
    path("countries/<str:identifier>/", views.country, name="country"),
    path("countries/<str:identifier>/cite/", facts.country_cite, name="country-cite"),
    # One period by its natural key: state, organization, start as far as known (see alliances/web/cite.py).
    path("countries/<str:country>/<str:organization>/<str:start>/", facts.fact, name="fact"),
    path("countries/<str:country>/<str:organization>/<str:start>/cite/", facts.fact_cite, name="fact-cite"),
    path("organizations/<str:identifier>/", views.organization, name="organization"),
    path("organizations/<str:identifier>/cite/", facts.organization_cite, name="organization-cite"),
    path("organizations/<str:identifier>/map.svg", map_views.organization_map_svg, name="organization-map-svg"),
    path("embed/organizations/<str:identifier>/map/", map_views.organization_map_embed, name="organization-map-embed"),
    # The charts as files, and their framable embeds (alliances/web/embed.py).
    path(
        "organizations/<str:identifier>/chart.svg",
        embed.organization_chart_file,
        {"fmt": "svg"},
        name="organization-chart-svg",
    ),
    path(
        "organizations/<str:identifier>/chart.png",
        embed.organization_chart_file,
        {"fmt": "png"},
        name="organization-chart-png",
    ),
    path(
        "countries/<str:identifier>/timeline.svg",
        embed.country_timeline_file,
        {"fmt": "svg"},
        name="country-timeline-svg",
    ),
    path(
        "countries/<str:identifier>/timeline.png",
        embed.country_timeline_file,
        {"fmt": "png"},
        name="country-timeline-png",
    ),
    path(
        "embed/organizations/<str:identifier>/chart/", embed.organization_chart_embed, name="organization-chart-embed"
    ),
    path("embed/countries/<str:identifier>/timeline/", embed.country_timeline_embed, name="country-timeline-embed"),
]
