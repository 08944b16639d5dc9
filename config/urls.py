from django.contrib import admin
from django.urls import include, path

from portal.urls import procedure_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("", include("portal.urls")),
]
urlpatterns += procedure_urlpatterns()
