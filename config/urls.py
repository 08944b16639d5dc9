from django.contrib import admin
from django.urls import include, path

from portal.urls import procedure_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("", include("portal.urls")),
]
urlpatterns += procedure_urlpatterns()

# JSON under /api/, the site's own pages elsewhere (api.errors).
handler400 = "api.errors.handler400"
handler403 = "api.errors.handler403"
handler404 = "api.errors.handler404"
handler500 = "api.errors.handler500"
