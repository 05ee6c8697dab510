"""Django admin for rounds and bids. The state is read-only; transitions are actions calling the services, which
check that the person holds the role the transition needs (a superuser acts as the role they hold). A bid's
content, costs, documents and who takes part in it (its lead council and partners) are shown, not edited: they
change only through the services, which keep the drafting rules and the conflict-of-interest rule. Rounds,
phases and criteria are configuration, edited here under the set-up pages' own rules (`services.round_*_problems`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.shortcuts import render

from bids import services
from bids.models import (
    Bid,
    BidDocument,
    BidPartner,
    BidSift,
    BidTransition,
    Clarification,
    CostLine,
    Criterion,
    FundingRound,
    RoundPhase,
    RoundTransition,
)
from bids.selectors import round_locked_settings
from core.admin import HistoryAdmin, HistoryInline, NotAddedHereAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from core.exceptions import ApplicationError


def _rows(formset: BaseInlineFormSet) -> list[dict]:
    return [form.cleaned_data for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def _raise(problems: list) -> None:
    if problems:
        raise forms.ValidationError([problem.message for problem in problems])


class CriterionFormSet(BaseInlineFormSet):
    """The round's criteria, checked by the same rules as the set-up pages (`services.round_criteria_problems`)."""

    def clean(self) -> None:
        super().clean()
        rows = [
            (r.get("code"), (r.get("name") or "").strip(), r.get("weight"), r.get("guidance", "")) for r in _rows(self)
        ]
        _raise(services.round_criteria_problems(rows))


class RoundPhaseFormSet(BaseInlineFormSet):
    """The round's phases and caps, checked by the same rules as the set-up pages (`services.round_phase_problems`,
    and while the round is open `services.round_open_cap_problems`)."""

    def clean(self) -> None:
        super().clean()
        caps = {row["phase"]: row.get("cap") for row in _rows(self) if row.get("phase")}
        _raise([*services.round_phase_problems(caps), *services.round_open_cap_problems(self.instance, caps)])


class LockedOnceRoundMovesOn:
    """An inline whose rows are fixed once the round's state says so (`round_locked_settings`), as on the
    set-up pages: shown, not changed."""

    setting = ""

    def _locked(self, obj) -> bool:
        return obj is not None and obj.pk is not None and self.setting in round_locked_settings(funding_round=obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class CriterionInline(LockedOnceRoundMovesOn, admin.TabularInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    min_num = 1
    setting = "criteria"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None:
            # A new round starts with the fund's three criteria at equal weights.
            formset.extra = len(services.DEFAULT_CRITERIA)
            formset.min_num = 0
        return formset


class RoundPhaseInline(LockedOnceRoundMovesOn, admin.TabularInline):
    model = RoundPhase
    formset = RoundPhaseFormSet
    extra = 1
    min_num = 1
    setting = "phases"


class FundingRoundForm(forms.ModelForm):
    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if budget is not None:
            _raise(services.round_budget_problems(self.instance, budget))
        return budget


# The round's life is its state machine (beat opens and closes it; staff move it on from its page).
ROUND_LIFECYCLE_FIELDS = [
    "state",
    "opened_at",
    "closed_at",
    "close_reason",
    "decisions_published_at",
    "decisions_published_by",
]


@admin.register(FundingRound)
class FundingRoundAdmin(ServiceAdmin):
    """Rounds are set up and moved on from the programme pages (/pipeline/rounds/); here an administrator sees
    them, and may change what the round's state still allows (the same rules: fixed settings are read-only)."""

    form = FundingRoundForm
    list_display = ["name", "code", "state", "opens_at", "closes_at", "budget"]
    list_filter = ["state"]
    search_fields = ["name", "code"]
    inlines = [RoundPhaseInline, CriterionInline]

    def get_readonly_fields(self, request, obj=None):
        locked = round_locked_settings(funding_round=obj) if obj is not None and obj.pk else {}
        # The round's own columns: a locked setting kept in related rows (phases, criteria) is locked by its
        # inline, and a reverse relation cannot be shown as a read-only field.
        model_fields = {field.name for field in FundingRound._meta.concrete_fields}
        return [*ROUND_LIFECYCLE_FIELDS, *(name for name in locked if name in model_fields)]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, CriterionInline) and obj.pk is None and request.method != "POST":
            kwargs["initial"] = [
                {"code": code, "name": name, "weight": weight, "guidance": guidance, "position": position}
                for position, (code, name, weight, guidance) in enumerate(services.DEFAULT_CRITERIA)
            ]
        return kwargs


class PartnerInline(ReadOnlyInline):
    model = BidPartner
    fields = ["council", "status", "invited_by", "invited_at", "responded_by", "responded_at"]


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0


class BidHistoryInline(HistoryInline):
    model = BidTransition


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea, required=False)
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2)


def _transition_action(service_name: str, label: str, note_argument: str | None, *, with_amount: bool = False):
    def action(modeladmin, request, queryset):
        if "apply" not in request.POST:
            return render(
                request,
                "admin/bids/transition_form.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": label,
                    "bids": queryset,
                    "action": action.__name__,
                    "with_amount": with_amount,
                    "note_argument": note_argument,
                    "opts": modeladmin.model._meta,
                },
            )
        form = DecisionForm(request.POST)
        form.is_valid()
        done = 0
        for bid in queryset:
            kwargs = {}
            if note_argument:
                kwargs[note_argument] = form.cleaned_data.get("note", "")
            if with_amount:
                kwargs["amount"] = form.cleaned_data.get("amount") or bid.amount_requested
            try:
                getattr(services, service_name)(bid=bid, by=request.user, **kwargs)
                done += 1
            except ApplicationError as error:
                messages.error(request, f"{bid.reference}: {error}")
        if done:
            messages.success(request, f"{label}: {done} bid(s)")
        return None

    action.__name__ = service_name
    return admin.action(description=label)(action)


@admin.register(Bid)
class BidAdmin(NotAddedHereAdmin):
    """Bids are started by councils (`bid_create`, which assigns the reference); a bid's content is its council's,
    shown here and changed only by the lead council through the services."""

    list_display = ["reference", "title", "lead_council", "funding_round", "state", "amount_requested", "final_score"]
    list_filter = ["state", "funding_round", "phase", "needs_moderation"]
    search_fields = ["reference", "title", "lead_council__official_name", "lead_council__short_name"]
    list_select_related = ["lead_council", "funding_round"]
    readonly_fields = [
        "reference",
        "number",
        "state",
        "submitted_at",
        "decided_at",
        "award_amount",
        "final_score",
        "criterion_scores",
        "needs_moderation",
        "section_versions",
        "lead_council",
    ]
    inlines = [PartnerInline, CostLineInline, BidHistoryInline]
    actions = [
        _transition_action("bid_return_for_changes", "Return for changes", "message"),
        _transition_action("bid_mark_ineligible", "Mark ineligible", "reason"),
        _transition_action("bid_award", "Award", "conditions", with_amount=True),
        _transition_action("bid_decline", "Decline (not funded)", "feedback"),
        # No "withdraw": only the lead council may withdraw its bid.
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BidDocument)
class BidDocumentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "bid", "content_type", "size", "uploaded_at"]
    list_select_related = ["bid"]


@admin.register(BidTransition)
class BidTransitionAdmin(HistoryAdmin):
    subject = "bid"
    list_select_related = ["bid", "by"]


@admin.register(BidPartner)
class BidPartnerAdmin(ReadOnlyAdmin):
    """Who takes part in a bid changes only through the services (invitations, answers, joining a call), which keep
    the partner minimum and the conflict-of-interest rule."""

    list_display = ["bid", "council", "status", "invited_at", "responded_by", "responded_at"]
    list_filter = ["status"]
    list_select_related = ["bid", "council", "responded_by"]
    search_fields = ["bid__reference", "council__official_name", "council__short_name"]


@admin.register(CostLine)
class CostLineAdmin(ReadOnlyAdmin):
    list_display = ["bid", "payer", "payer_council", "description", "amount"]
    list_select_related = ["bid", "payer_council"]
    search_fields = ["bid__reference", "description"]


@admin.register(RoundPhase)
class RoundPhaseAdmin(ReadOnlyAdmin):
    """Phases and caps are changed on their round's page (here or on the set-up pages), under the round's rules."""

    list_display = ["funding_round", "phase", "cap"]
    list_select_related = ["funding_round"]


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    """Criteria are changed on their round's page (here or on the set-up pages), where their names, codes and
    weights are checked together and fixed once assessment starts."""

    list_display = ["funding_round", "name", "code", "weight", "position"]
    list_select_related = ["funding_round"]


@admin.register(RoundTransition)
class RoundTransitionAdmin(HistoryAdmin):
    """A round's history (moved on from the programme pages and by beat, never here)."""

    subject = "funding_round"
    list_select_related = ["funding_round", "by"]


@admin.register(BidSift)
class BidSiftAdmin(ReadOnlyAdmin):
    """Sift decisions (recorded from the sift pages, through `bid_sift`)."""

    list_display = ["bid", "decision", "by", "at"]
    list_filter = ["decision"]
    list_select_related = ["bid", "by"]
    search_fields = ["bid__reference"]


@admin.register(Clarification)
class ClarificationAdmin(ReadOnlyAdmin):
    """Questions to bids' teams and their answers (asked and answered in the service)."""

    list_display = ["bid", "status", "asked_at", "reply_by", "answered_at"]
    list_filter = ["status"]
    list_select_related = ["bid"]
    search_fields = ["bid__reference", "question"]
