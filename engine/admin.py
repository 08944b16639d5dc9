from django.contrib import admin

from .models import (
    AuditEntry,
    Case,
    CaseCopy,
    Document,
    HumanTask,
    Notification,
    NotificationDelivery,
    ProcessDefinition,
    Quota,
    Role,
    RoleAssignment,
    Substitution,
    Unit,
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
