"""Public pages: included at the site's root by config/urls.py."""

from django.urls import path

from alliances.web import facts, views

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
]
