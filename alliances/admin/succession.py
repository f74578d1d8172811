"""Successions: which state succeeded which, when, and how (continuation, dissolution, secession, absorption)."""

from django.contrib import admin

from alliances.admin.base import AuditedAdmin
from alliances.models import Succession


@admin.register(Succession)
class SuccessionAdmin(AuditedAdmin):
    list_display = ["predecessor", "successor", "date", "kind"]
    list_filter = ["kind"]
    search_fields = ["predecessor__name", "predecessor__code", "successor__name", "successor__code"]
    autocomplete_fields = ["predecessor", "successor", "source"]
    list_select_related = ["predecessor", "successor"]
