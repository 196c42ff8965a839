app_name = "value"

urlpatterns: list = []
