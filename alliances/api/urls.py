from rest_framework.routers import DefaultRouter

from alliances.api import views

router = DefaultRouter()
router.register("countries", views.CountryViewSet, basename="country")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = router.urls
