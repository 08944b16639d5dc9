"""Inbox filters (django-filter). The queryset handed in is already the user's inbox; these
only narrow and sort it."""
import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone

from engine.search import search_normalise, tasks_search
from workflows.registry import procedure_list

from .selectors import townships_visible_to


def _procedure_choices():
    return [(p.key, p.name) for p in procedure_list()]


def _townships(request):
    return townships_visible_to(request.user)


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="filter_search",
                                  widget=forms.TextInput(attrs={
                                      "placeholder": "姓名、身份证号（或后几位）、案件编号、文书编号",
                                      "type": "search", "size": 40}))
    procedure = django_filters.ChoiceFilter(label="事项", choices=_procedure_choices,
                                            empty_label="全部事项")
    township = django_filters.ModelChoiceFilter(label="乡镇/街道", queryset=_townships,
                                                empty_label="全部乡镇")
    overdue = django_filters.ChoiceFilter(label="是否超期", method="filter_overdue",
                                          empty_label="不限",
                                          choices=[("yes", "已超期"), ("no", "未超期")])
    claimed = django_filters.ChoiceFilter(label="认领情况", method="filter_claimed",
                                          empty_label="不限",
                                          choices=[("mine", "我已认领"), ("free", "待认领")])
    sort = django_filters.ChoiceFilter(label="排序", method="filter_sort", empty_label=None,
                                       choices=[("due", "到期时间从早到晚"),
                                                ("-due", "到期时间从晚到早")])

    def filter_search(self, queryset, name, value):
        # On top of the user's inbox: search never widens what anyone sees.
        query = search_normalise(value)
        return tasks_search(queryset, query) if query else queryset

    def filter_overdue(self, queryset, name, value):
        overdue = Q(due_at__lt=timezone.now())
        return queryset.filter(overdue) if value == "yes" else queryset.exclude(overdue)

    def filter_claimed(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(assignee=self.request.user)
        return queryset.filter(assignee__isnull=True)

    def filter_sort(self, queryset, name, value):
        # Tasks without a deadline go last both ways.
        due = F("due_at").desc(nulls_last=True) if value == "-due" else \
            F("due_at").asc(nulls_last=True)
        return queryset.order_by(due, "created_at", "pk")

    def filter_queryset(self, queryset):
        queryset = queryset.order_by(F("due_at").asc(nulls_last=True), "created_at", "pk")
        return super().filter_queryset(queryset)
