from django import forms
from django.contrib import admin

from .calendar import (
    CalendarEntryError,
    calendar_import_parse,
    calendar_year_check,
    calendar_year_save,
    calendar_year_text,
)
from .models import (
    AuditEntry,
    CalendarYear,
    Case,
    CaseCopy,
    Document,
    HumanTask,
    Notification,
    NotificationDelivery,
    ProcessDefinition,
    Quota,
    QuotaWaiting,
    Role,
    RoleAssignment,
    Substitution,
    Unit,
    UnitLevel,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "parent", "path", "doc_prefix"]
    readonly_fields = ["path"]


admin.site.register(Role)
admin.site.register(RoleAssignment)


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "deployed_by", "deployed_at", "content_hash"]
    readonly_fields = [f.name for f in ProcessDefinition._meta.fields]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["pk", "procedure", "title", "applicant_name", "village", "status"]
    list_filter = ["procedure", "status"]
    exclude = ["state"]


@admin.register(HumanTask)
class HumanTaskAdmin(admin.ModelAdmin):
    list_display = ["pk", "case", "title", "lane", "status", "assignee", "due_at"]
    list_filter = ["procedure", "status", "lane"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "case", "action", "actor", "summary"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "case", "status", "issued_on"]
    exclude = ["pdf"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status"]


admin.site.register(CaseCopy)
admin.site.register(Substitution)
admin.site.register(Quota)


@admin.register(QuotaWaiting)
class QuotaWaitingAdmin(admin.ModelAdmin):
    """The waiting lists (候补), read-only: places are given only by engine.services."""

    list_display = ["quota", "case", "filed_at", "status", "granted_at", "delivered_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------------
# Holiday calendar for years the package lacks: the product administrator's entry (for every
# county when 县 is left empty). Saved through the service, so it is validated, audited and
# the flagged open tasks are recounted, exactly as from the county's page.


class CalendarYearAdminForm(forms.ModelForm):
    entries = forms.CharField(
        label="节假日安排", widget=forms.Textarea(attrs={"rows": 14, "cols": 60}),
        help_text="每行一个日期（或日期范围）及类型，如：2027-01-01 休、"
                  "2027-02-06 至 2027-02-12 休、2027-02-14 班；也可粘贴 CSV（日期,类型）")

    class Meta:
        model = CalendarYear
        fields = ["year", "county", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = Unit.objects.filter(level=UnitLevel.COUNTY)
        self.fields["county"].help_text = "留空：适用于所有县（区）"
        if self.instance.pk:
            self.fields["entries"].initial = calendar_year_text(self.instance)

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        if year:
            try:
                calendar_year_check(year)
                self.parsed = calendar_import_parse(cleaned.get("entries", ""), year=year)
            except CalendarEntryError as exc:
                raise forms.ValidationError(exc.messages) from None
        return cleaned

    def validate_unique(self):
        pass  # the service replaces the year's entry instead of refusing a second one


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearAdminForm
    list_display = ["year", "county", "source", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # a year once entered is corrected, not removed

    def save_model(self, request, obj, form, change):
        try:
            entry = calendar_year_save(
                year=obj.year, county=obj.county, holidays=form.parsed.holidays,
                workdays=form.parsed.workdays, source=obj.source or "", actor=request.user)
        except CalendarEntryError as exc:
            # Reported by the form's clean() for every case we know; kept as a last guard.
            raise forms.ValidationError(exc.messages) from None
        obj.pk = entry.pk
