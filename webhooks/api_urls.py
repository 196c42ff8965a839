from rest_framework.routers import DefaultRouter

from webhooks import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("webhooks/endpoints", api.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", api.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
