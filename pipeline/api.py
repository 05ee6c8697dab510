"""The read API (Django REST framework): bids with the table's filters, rounds, funded projects (after the award),
and the 360Giving export.

Token or session authentication. Bids come from the same visibility rule as the pages (`bid_visible_queryset`):
staff see every bid; a council member sees their council's bids (as lead, or as a partner invited or confirmed)
and gets 404 for any other; an assessor sees the bids assigned to them once they declare no conflict.

Staff get every field and the staff table's filters. Everyone else gets the council-facing view of a bid
(`bids.selectors.bid_council_view`, the one the council pages use): a scored bid is "in review", no score or
moderation, history in councils' words. Their filters and sorts name nothing they cannot see, and a query
parameter they may not use is answered 400 with the reason, never silently ignored.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bids.choices import PartnerStatus
from bids.models import BidPartner, BidTransition, Clarification, FundingRound, RoundPhase
from bids.selectors import (
    COUNCIL_HIDDEN_FIELDS,
    bid_council_view,
    bid_lineage,
    bid_visible_queryset,
    council_state,
    decision_is_public,
)
from collaboration.selectors import similar_work
from core.converters import BID_REFERENCE, is_round_code
from councils.models import DISPLAY_NAME_FIELD
from pipeline.filters import BidFilter, CouncilBidFilter
from pipeline.pagination import rows_pagination
from pipeline.selectors import BID_LIST_COLUMNS
from pipeline.views import package_response, published_package_round
from projects.choices import ProjectState
from projects.selectors import payment_shown, project_overview, projects_for_user, public_projects

LEAD_COUNCIL_NAME = f"lead_council__{DISPLAY_NAME_FIELD}"

# --- Serializers ----------------------------------------------------------------------------------------


class CouncilSerializer(serializers.Serializer):
    code = serializers.CharField(source="register_code")
    name = serializers.CharField()


class BidRowSerializer(serializers.Serializer):
    """What every caller gets of a bid in a list. Flat fields only: a list page must cost the same whatever is
    on it.

    Lists read plain rows (`LIST_FIELDS` through `.values()`) rather than model instances, and
    `to_representation` builds each item directly: for 50 rows that halves the API's time per request. The
    declared fields still describe the output for the OpenAPI schema. A detail page passes an object instead,
    which the declared fields read as usual."""

    reference = serializers.CharField()
    title = serializers.CharField()
    round = serializers.CharField(source="funding_round.code")
    lead_council = CouncilSerializer()
    state = serializers.CharField()
    phase = serializers.CharField()
    amount_requested = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    award_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, row):
        if not isinstance(row, dict):
            return super().to_representation(row)
        return {
            "reference": row["reference"],
            "title": row["title"],
            "round": row["funding_round__code"],
            "lead_council": {"code": row["lead_council__register_code"], "name": row[LEAD_COUNCIL_NAME]},
            "state": row["state"],
            "phase": row["phase"],
            "amount_requested": _decimal(row["amount_requested"]),
            "award_amount": _decimal(row["award_amount"]),
            **self.more_fields(row),
            "submitted_at": _when(row["submitted_at"]),
            "decided_at": _when(row["decided_at"]),
        }

    def more_fields(self, row: dict) -> dict:
        return {}


class BidListSerializer(BidRowSerializer):
    """Programme staff's row: the real state, the final score and whether it waits for moderation."""

    final_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    needs_moderation = serializers.BooleanField()

    def more_fields(self, row: dict) -> dict:
        return {"final_score": _decimal(row["final_score"]), "needs_moderation": row["needs_moderation"]}


LIST_FIELDS = (
    *BID_LIST_COLUMNS,
    "funding_round__code",
    "lead_council__register_code",
    f"lead_council__{DISPLAY_NAME_FIELD}",
)


def _decimal(value) -> str | None:
    return None if value is None else str(value)


_datetime_field = serializers.DateTimeField()


def _when(value) -> str | None:
    return None if value is None else _datetime_field.to_representation(value)


class PartnerSerializer(serializers.Serializer):
    council = CouncilSerializer()
    status = serializers.CharField()


class TransitionSerializer(serializers.Serializer):
    transition = serializers.CharField()
    source_state = serializers.CharField()
    target_state = serializers.CharField()
    by = serializers.CharField(source="by.full_name", default=None, allow_null=True)
    at = serializers.DateTimeField()
    note = serializers.CharField()


class LineageStepSerializer(serializers.Serializer):
    """One phase of the bid's project (discovery → alpha → beta), as the caller may see it."""

    reference = serializers.CharField()
    title = serializers.CharField()
    phase = serializers.CharField()
    round = serializers.CharField(source="round_code")
    state = serializers.CharField()
    amount_requested = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    award_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    is_current = serializers.BooleanField()


class SimilarWorkSerializer(serializers.Serializer):
    """A piece of related work: best first, only what the caller may see, each scored 0–1 (at least the score
    at which the pages call work related, settings.SIMILAR_WORK_RELATED_SCORE) with the words both share."""

    reference = serializers.CharField()
    title = serializers.CharField()
    lead_council = serializers.SerializerMethodField()
    state = serializers.CharField()
    round = serializers.CharField(source="round_code")
    score = serializers.FloatField()
    kind = serializers.CharField()
    shared_terms = serializers.ListField(child=serializers.CharField())

    def get_lead_council(self, work) -> dict:
        return {"code": work.lead_council_code, "name": work.lead_council}


class BidContentSerializer(serializers.Serializer):
    """A bid's answers, for anyone who may read the bid."""

    summary = serializers.CharField()
    problem = serializers.CharField()
    user_needs = serializers.CharField()
    approach = serializers.CharField()
    outputs_and_reuse = serializers.CharField()
    working_in_the_open = serializers.CharField()
    planned_start = serializers.DateField(allow_null=True)
    duration_months = serializers.IntegerField(allow_null=True)
    status_note = serializers.CharField()
    award_conditions = serializers.CharField()
    partners = PartnerSerializer(many=True)


class BidDetailSerializer(BidListSerializer, BidContentSerializer):
    history = TransitionSerializer(many=True)
    continues = serializers.CharField(source="continues.reference", default=None, allow_null=True)
    lineage = serializers.SerializerMethodField()

    def get_lineage(self, bid) -> list[dict]:
        return LineageStepSerializer(bid_lineage(bid=bid, user=self.context["request"].user), many=True).data


# --- What everyone but staff gets: the council-facing view ------------------------------------------------


class CouncilBidListSerializer(BidRowSerializer):
    """A row of the bids list as councils see it: the state they are told, no score or moderation."""

    def to_representation(self, row):
        data = super().to_representation(row)
        if isinstance(row, dict):
            # A decision recorded but not yet published is not given away: in review, no amount, no date.
            data["state"] = council_state(row["state"], row["funding_round__state"])
            if not decision_is_public(row["state"], row["funding_round__state"]):
                data["award_amount"] = data["decided_at"] = None
        return data


COUNCIL_LIST_FIELDS = (
    *(field for field in LIST_FIELDS if field not in COUNCIL_HIDDEN_FIELDS),
    "funding_round__state",
)


class CouncilTimelineSerializer(serializers.Serializer):
    title = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField()
    note = serializers.CharField()


class CouncilBidDetailSerializer(CouncilBidListSerializer, BidContentSerializer):
    """`bids.selectors.CouncilBidView`, the one council-facing view of a bid (its state already as councils see
    it)."""

    timeline = CouncilTimelineSerializer(many=True)


class StrictFilterBackend(DjangoFilterBackend):
    """The bid list's filter backend: a query parameter that is not one of the caller's filters is refused with a
    400 saying why (a council is told which filters are for programme staff only), so nobody mistakes an ignored
    filter for an answer."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        allowed = set(filterset_class.base_filters) | TakesOnlyItsParameters.ALWAYS_TAKEN | {"page"}
        staff_only = set(BidFilter.base_filters) - allowed
        refused = {}
        for name in request.query_params:
            if name in allowed:
                continue
            if name in staff_only:
                refused[name] = [
                    f"‘{name}’ is for programme staff only: councils cannot filter on scores or moderation"
                ]
            else:
                refused[name] = [f"‘{name}’ is not a filter of this list. Use: {', '.join(sorted(allowed))}"]
        if refused:
            raise ValidationError(refused)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None and not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        chosen = filterset.form.cleaned_data.get("round") if filterset is not None else None
        if chosen is not None and not FundingRound.objects.filter(pk=chosen).exists():
            # As the table refuses it: an unknown round would look like a round with no bids.
            raise ValidationError({"round": [f"No round has the id {chosen}: the rounds are listed at /api/rounds/"]})
        return filterset.qs if filterset is not None else queryset


class RoundPhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoundPhase
        fields = ["phase", "cap"]


class RoundSerializer(serializers.ModelSerializer):
    phases = RoundPhaseSerializer(many=True)

    class Meta:
        model = FundingRound
        fields = [
            "id",
            "code",
            "name",
            "opens_at",
            "closes_at",
            "assessment_deadline",
            "budget",
            "min_partner_councils",
            "max_bids_led_per_council",
            "state",
            "closed_at",
            "decisions_published_at",
            "phases",
        ]


# --- Views ----------------------------------------------------------------------------------------------


class TakesOnlyItsParameters:
    """Every API view: a query parameter it does not take is refused with a 400 naming it, never ignored (an
    ignored parameter looks like an answer). `format` (JSON, or `api` for the browsable pages) is taken by all."""

    ALWAYS_TAKEN = frozenset({"format"})

    def taken_parameters(self) -> tuple[str, ...] | None:
        """What this request may carry besides `format`; None where the view checks its own (a list's filters)."""
        return ()

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        taken = self.taken_parameters()
        if taken is None:
            return
        unknown = sorted(set(request.query_params) - set(taken) - self.ALWAYS_TAKEN)
        if unknown:
            use = f"Use: {', '.join(sorted(taken))}" if taken else "It takes none"
            raise ValidationError({name: [f"‘{name}’ is not a parameter of this address. {use}"] for name in unknown})


class BidViewSet(TakesOnlyItsParameters, viewsets.ReadOnlyModelViewSet):
    """Bids the caller may see. Staff: every field, the staff table's filters (`q` searches) and `sort`.
    Everyone else: the council-facing view, with filters and sorts on what councils may see only."""

    lookup_field = "reference"
    lookup_value_regex = BID_REFERENCE

    def _for_staff(self) -> bool:
        # The schema describes the staff API (the fullest); spectacular builds it without a real caller.
        if getattr(self, "swagger_fake_view", False):
            return True
        return self.request.user.has_perm("bids.view_all_bids")

    filter_backends = [StrictFilterBackend]

    def taken_parameters(self) -> tuple[str, ...] | None:
        return None if self.action == "list" else ()

    @property
    def filterset_class(self):
        return BidFilter if self._for_staff() else CouncilBidFilter

    @property
    def pagination_class(self):
        return STAFF_PAGINATION if self._for_staff() else COUNCIL_PAGINATION

    def get_queryset(self):
        if self.action == "retrieve":
            return (
                bid_visible_queryset(user=self.request.user)
                .select_related("funding_round", "lead_council", "created_by")
                .prefetch_related(
                    Prefetch("partners", queryset=BidPartner.objects.select_related("council")),
                    Prefetch("history", queryset=BidTransition.objects.select_related("by").order_by("at", "pk")),
                    Prefetch("clarifications", queryset=Clarification.objects.select_related("answered_by")),
                )
                .select_related("continues")
            )
        return bid_visible_queryset(user=self.request.user)

    def get_serializer_class(self):
        if self._for_staff():
            return BidDetailSerializer if self.action == "retrieve" else BidListSerializer
        return CouncilBidDetailSerializer if self.action == "retrieve" else CouncilBidListSerializer

    def retrieve(self, request, *args, **kwargs):
        bid = self.get_object()
        if self._for_staff():
            return Response(self.get_serializer(bid).data)
        view = bid_council_view(bid=bid, history=bid.history.all(), clarifications=bid.clarifications.all())
        data = self.get_serializer(view).data
        # Project lineage, added to the council-facing view: the earlier phase's reference and the line as the
        # caller may see it.
        data["continues"] = bid.continues.reference if bid.continues_id else None
        data["lineage"] = LineageStepSerializer(bid_lineage(bid=bid, user=request.user), many=True).data
        return Response(data)

    @extend_schema(responses=SimilarWorkSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="similar")
    def similar(self, request, *args, **kwargs):
        """Related work for a bid the caller may see, best first: funded projects and open calls for partners
        for council members, every submitted bid of any round (and open calls) for programme staff, nothing
        for anyone else. The same list, from the same rule and threshold, as the pages show."""
        bid = get_object_or_404(bid_visible_queryset(user=request.user), reference=kwargs["reference"])
        return Response(SimilarWorkSerializer(similar_work(bid=bid, user=request.user), many=True).data)


STAFF_PAGINATION = rows_pagination(LIST_FIELDS)
COUNCIL_PAGINATION = rows_pagination(COUNCIL_LIST_FIELDS)


class RoundViewSet(TakesOnlyItsParameters, viewsets.ReadOnlyModelViewSet):
    queryset = FundingRound.objects.prefetch_related("phases").order_by("-opens_at")
    serializer_class = RoundSerializer

    def taken_parameters(self) -> tuple[str, ...]:
        return ("page",) if self.action == "list" else ()


# --- Projects (after the award) ---------------------------------------------------------------------------


class ProjectOutputSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.URLField()
    kind = serializers.CharField()


class ReuseSerializer(serializers.Serializer):
    council = CouncilSerializer()
    note = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class ProjectSerializer(serializers.Serializer):
    """What anyone may know of a funded project (its award is public once its round's decisions are): the same
    as the public funded-projects page shows."""

    reference = serializers.CharField()
    title = serializers.CharField()
    round = serializers.CharField(source="bid.funding_round.code")
    round_name = serializers.CharField(source="bid.funding_round.name")
    lead_council = CouncilSerializer()
    partners = serializers.SerializerMethodField()
    state = serializers.CharField()
    award_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    offered_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField()
    outputs = ProjectOutputSerializer(many=True)
    reused_by = ReuseSerializer(source="reuses", many=True)

    @extend_schema_field(CouncilSerializer(many=True))
    def get_partners(self, project) -> list[dict]:
        return [
            CouncilSerializer(partner.council).data
            for partner in project.bid.partners.all()
            if partner.status == PartnerStatus.CONFIRMED
        ]


class MilestoneSerializer(serializers.Serializer):
    title = serializers.CharField()
    due_date = serializers.DateField()
    evidence_submitted_at = serializers.DateTimeField(source="submitted_at")
    payment_amount = serializers.SerializerMethodField()
    payment_status = serializers.SerializerMethodField()
    paid_on = serializers.SerializerMethodField()

    def _payment(self, milestone):
        return getattr(milestone, "payment", None)

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_payment_amount(self, milestone) -> str | None:
        payment = self._payment(milestone)
        return f"{payment.amount:.2f}" if payment else None

    def get_payment_status(self, milestone) -> str | None:
        """As the pages say it: `released` for a payment a closed or withdrawn project will never make."""
        payment = self._payment(milestone)
        return payment_shown(payment, milestone.project) if payment else None

    @extend_schema_field(OpenApiTypes.DATE)
    def get_paid_on(self, milestone) -> str | None:
        payment = self._payment(milestone)
        return payment.paid_on.isoformat() if payment and payment.paid_on else None


class ReportRowSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    kind = serializers.CharField()
    state = serializers.CharField()
    rag = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    certified_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField()


class VariationRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField()


class BudgetLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    payer = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class MoneySerializer(serializers.Serializer):
    awarded = serializers.DecimalField(max_digits=14, decimal_places=2)
    scheduled = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    due = serializers.DecimalField(max_digits=14, decimal_places=2)


class ProjectDeliverySerializer(serializers.Serializer):
    """What the project's own councils and programme staff see on its page besides the public record."""

    offer_conditions = serializers.CharField()
    accepted_at = serializers.DateTimeField()
    money = MoneySerializer()
    budget_lines = BudgetLineSerializer(many=True)
    milestones = MilestoneSerializer(many=True)
    reports = ReportRowSerializer(many=True)
    changes = VariationRowSerializer(source="variations", many=True)
    lessons_learned = serializers.CharField()


class ProjectFilterSerializer(serializers.Serializer):
    round = serializers.CharField(required=False, max_length=10)
    state = serializers.ChoiceField(choices=ProjectState.choices, required=False)
    mine = serializers.BooleanField(required=False, help_text="Only projects of your own councils (or all, for staff)")

    def validate_round(self, value: str) -> str:
        if not is_round_code(value):
            raise serializers.ValidationError("Give a round's short code, like R6")
        if not FundingRound.objects.filter(code__iexact=value).exists():
            raise serializers.ValidationError(f"No round has the code {value}: the rounds are listed at /api/rounds/")
        return value


class ProjectViewSet(TakesOnlyItsParameters, viewsets.ReadOnlyModelViewSet):
    """Funded projects. Anyone (no sign-in needed) gets the public record of every project, as on /funded/:
    state, award, partners, outputs and the councils reusing them. A project's own councils and programme staff
    also get its delivery (`delivery`: the offer, money, budget lines, milestones and payments, reports,
    changes), as on the
    project's pages, from the same rule (`projects.view_project`). `?mine=true` lists only those projects."""

    permission_classes = [AllowAny]
    serializer_class = ProjectSerializer
    lookup_field = "reference"
    lookup_value_regex = BID_REFERENCE

    def taken_parameters(self) -> tuple[str, ...]:
        return (*ProjectFilterSerializer().fields, "page") if self.action == "list" else ()

    def _filters(self) -> dict:
        taken = set(ProjectFilterSerializer().fields)
        params = ProjectFilterSerializer(data={k: v for k, v in self.request.query_params.items() if k in taken})
        params.is_valid(raise_exception=True)
        return params.validated_data

    @extend_schema(parameters=[ProjectFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if self.action == "retrieve":
            return public_projects().prefetch_related("bid__partners__council")
        filters = self._filters()
        projects = public_projects().prefetch_related("bid__partners__council")
        if filters.get("mine"):
            projects = projects.filter(pk__in=projects_for_user(self.request.user).values("pk"))
        if filters.get("round"):
            projects = projects.filter(bid__funding_round__code__iexact=filters["round"])
        if filters.get("state"):
            projects = projects.filter(state=filters["state"])
        return projects

    @extend_schema(responses=ProjectSerializer)
    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        data = self.get_serializer(project).data
        if request.user.has_perm("projects.view_project", project):
            overview = project_overview(project=project)
            delivery = {
                "offer_conditions": project.offer_conditions,
                "accepted_at": project.accepted_at,
                "money": overview["money"],
                "budget_lines": overview["budget_lines"],
                "milestones": overview["milestones"],
                "reports": overview["reports"],
                "variations": overview["variations"],
                "lessons_learned": project.lessons_learned,
            }
            data["delivery"] = ProjectDeliverySerializer(delivery).data
        return Response(data)


class OpenDataView(TakesOnlyItsParameters, APIView):
    """The awarded grants as a 360Giving package: all rounds, or one with `?round=<code>`. Public."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def taken_parameters(self) -> tuple[str, ...]:
        return ("round",)

    @extend_schema(
        parameters=[OpenApiParameter("round", OpenApiTypes.STR, description="A round's short code, e.g. R6")],
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        code = request.query_params.get("round")
        if code and not is_round_code(code):
            raise ValidationError({"round": ["Give a round's short code, like R6"]})
        # The public page's rule: 404 for a round whose decisions are not published, or with nothing awarded.
        return package_response(published_package_round(code))
