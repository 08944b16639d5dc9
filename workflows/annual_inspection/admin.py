"""The county edits organisations and reads campaigns, results and the directory here."""
from django.contrib import admin

from .models import (
    AbnormalListing,
    InspectionCampaign,
    InspectionRecord,
    SocialOrganisation,
    SpotCheckDraw,
    SupervisingUnitAccount,
)


@admin.register(SocialOrganisation)
class SocialOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "org_type", "supervising_unit", "village", "status"]
    list_filter = ["org_type", "status"]
    search_fields = ["name", "credit_code"]


@admin.register(InspectionCampaign)
class InspectionCampaignAdmin(admin.ModelAdmin):
    list_display = ["year", "county", "report_deadline", "opened_at"]
    # The committed seed is neither shown nor editable here: only its hash is public until
    # the draw reveals it, and nobody may swap it.
    exclude = ["spot_check_seed"]
    readonly_fields = ["opened_by", "opened_at", "spot_check_seed_sha256"]


@admin.register(InspectionRecord)
class InspectionRecordAdmin(admin.ModelAdmin):
    list_display = ["organisation", "year", "result", "rectification_deadline", "spot_checked"]
    list_filter = ["year", "result", "spot_checked"]
    readonly_fields = ["case", "campaign"]


@admin.register(AbnormalListing)
class AbnormalListingAdmin(admin.ModelAdmin):
    list_display = ["organisation", "year_missed", "listed_on", "removed_on"]
    list_filter = ["year_missed"]


@admin.register(SpotCheckDraw)
class SpotCheckDrawAdmin(admin.ModelAdmin):
    list_display = ["campaign", "seed", "ratio", "drawn_at"]
    readonly_fields = ["campaign", "seed", "seed_sha256", "population_sha256",
                       "population_size", "ratio", "organisations", "drawn_by", "drawn_at"]


@admin.register(SupervisingUnitAccount)
class SupervisingUnitAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "supervising_unit"]
    search_fields = ["supervising_unit", "user__username"]
