"""The catalogue is the county's to edit: prices, units, basic/optional, in use or not."""
from django.contrib import admin

from .models import AdaptationItem


@admin.register(AdaptationItem)
class AdaptationItemAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "unit", "unit_price", "category", "active", "sort_order")
    list_editable = ("unit_price", "category", "active", "sort_order")
    list_filter = ("category", "active")
    search_fields = ("name", "code")
