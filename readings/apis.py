"""REST endpoints of the readings app: thin views over `readings.services` / `selectors`.

Output shapes are built by selectors (one function per shape, shared with the WebSocket
events); the nested Output serializers document them in the OpenAPI schema.
"""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from numerai.api import paginated
from numerai.throttling import ScopedRateThrottle
from readings import engine, selectors, services

MIN_BIRTH_DATE = date(1900, 1, 1)
NAME_MAX = 200


# --- input fields -----------------------------------------------------------------------------
class NameField(serializers.CharField):
    """A person's full birth name; it must keep at least one letter A–Z once normalised."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            engine.normalize_name(value)
        except engine.EngineError as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value


class BirthDateField(serializers.DateField):
    """A date of birth from 1900-01-01 to the caller's today (``context["today"]``)."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if value < MIN_BIRTH_DATE:
            raise serializers.ValidationError("Birth dates before 1900 are not supported.")
        today = self.context.get("today")
        if today is not None and value > today:
            raise serializers.ValidationError("The birth date cannot be in the future.")
        return value


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as dotted field names: ``{"a.birth_date": [...]}``."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            name = key if key != "non_field_errors" or not prefix else ""
            field = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for inner_key, inner in _flatten(value, field).items():
                flat.setdefault(inner_key, []).extend(inner)
        return flat
    if isinstance(errors, list) and errors and not isinstance(errors[0], dict | list):
        return {prefix or "non_field_errors": [str(error) for error in errors]}
    if isinstance(errors, list):
        flat = {}
        for index, item in enumerate(errors):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(errors)]}


def validated(serializer_class, data, *, context=None) -> dict:
    """Validate request data; errors name the field, nested ones with dots."""
    serializer = serializer_class(data=data, context=context or {})
    if not serializer.is_valid():
        raise serializers.ValidationError(_flatten(serializer.errors))
    return serializer.validated_data


def _today(request) -> date:
    return selectors.user_local_date(user=request.user)


# --- output documentation ---------------------------------------------------------------------
class MeaningOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    strengths = serializers.ListField(child=serializers.CharField())
    challenges = serializers.ListField(child=serializers.CharField())


class NumberOutputSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    compound = serializers.IntegerField(allow_null=True, required=False)
    karmic_debt = serializers.IntegerField(allow_null=True, required=False)
    meaning = MeaningOutputSerializer(allow_null=True)
    karmic_debt_meaning = MeaningOutputSerializer(required=False)


class ChartOutputSerializer(serializers.Serializer):
    options = serializers.DictField()
    name = serializers.DictField()
    numbers = serializers.DictField(child=NumberOutputSerializer())
    karmic_lessons = serializers.ListField(child=serializers.IntegerField())
    hidden_passion = serializers.ListField(child=serializers.IntegerField())
    challenges = serializers.ListField(child=serializers.IntegerField())
    pinnacles = serializers.ListField(child=serializers.DictField())
    lo_shu = serializers.DictField()
    chaldean = serializers.DictField()
    meanings = serializers.DictField()


class DailyReadingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    date = serializers.DateField()
    personal_year = NumberOutputSerializer()
    personal_month = NumberOutputSerializer()
    personal_day = NumberOutputSerializer()
    lucky_number = serializers.IntegerField()
    lucky_colour = serializers.DictField(child=serializers.CharField())
    affirmation = serializers.CharField()
    generated_at = serializers.DateTimeField()


class _PersonInputSerializer(serializers.Serializer):
    full_name = NameField(required=False)
    birth_date = BirthDateField()


def _person(data: dict) -> selectors.Person:
    return selectors.Person(birth_date=data["birth_date"], full_name=data.get("full_name"))


# --- views ------------------------------------------------------------------------------------
class NumerologyCalculateApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "numerology"

    class InputSerializer(serializers.Serializer):
        full_name = NameField()
        birth_date = BirthDateField()
        target_date = serializers.DateField(required=False, allow_null=True)
        options = serializers.DictField(required=False, allow_null=True)

        class Meta:
            ref_name = "NumerologyCalculateInput"

    class OutputSerializer(ChartOutputSerializer):
        class Meta:
            ref_name = "NumerologyCalculateOutput"

    @extend_schema(
        operation_id="numerology_calculate",
        tags=["numerology"],
        request=InputSerializer,
        responses={200: OutputSerializer},
        description="The full chart of any name and birth date (nothing is stored). "
        "target_date defaults to today in the caller's time zone.",
    )
    def post(self, request):
        today = _today(request)
        data = validated(self.InputSerializer, request.data, context={"today": today})
        chart = selectors.numerology_calculate(
            full_name=data["full_name"],
            birth_date=data["birth_date"],
            target_date=data.get("target_date") or today,
            options=data.get("options"),
        )
        return Response(chart)


class NumerologyProfileApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "numerology"

    class OutputSerializer(ChartOutputSerializer):
        calculated_at = serializers.DateTimeField()

        class Meta:
            ref_name = "NumerologyProfileOutput"

    @extend_schema(
        operation_id="numerology_profile",
        tags=["numerology"],
        responses={200: OutputSerializer},
        description="The caller's birth chart (as calculate returns it, for today in their "
        "time zone). 409 PROFILE_INCOMPLETE without a date of birth.",
    )
    def get(self, request):
        profile = services.numerology_profile_ensure(user=request.user)
        return Response(selectors.birth_chart_get(profile=profile, target_date=_today(request)))


class NumerologyCompatibilityApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "numerology"

    class InputSerializer(serializers.Serializer):
        a = _PersonInputSerializer(required=False)
        b = _PersonInputSerializer(required=False)
        options = serializers.DictField(required=False, allow_null=True)

        def get_fields(self):
            fields = super().get_fields()
            fields["with"] = _PersonInputSerializer(required=False)
            return fields

        def validate(self, attrs):
            if "with" in attrs and ("a" in attrs or "b" in attrs):
                raise serializers.ValidationError({"with": ["Give either a and b, or with."]})
            if "with" not in attrs:
                for side in ("a", "b"):
                    if side not in attrs:
                        raise serializers.ValidationError(
                            {side: ["This field is required (or give with)."]}
                        )
            return attrs

        class Meta:
            ref_name = "NumerologyCompatibilityInput"

    class OutputSerializer(serializers.Serializer):
        a = serializers.DictField()
        b = serializers.DictField()
        relation = serializers.ChoiceField(choices=["natural_match", "different_group"])
        texts = serializers.DictField(child=serializers.CharField())
        options = serializers.DictField()

        class Meta:
            ref_name = "NumerologyCompatibilityOutput"

    @extend_schema(
        operation_id="numerology_compatibility",
        tags=["numerology"],
        request=InputSerializer,
        responses={200: OutputSerializer},
        description='Life Path compatibility of {"a", "b"}, or of the caller and {"with"}.',
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data, context={"today": _today(request)})
        if "with" in data:
            user = request.user
            if user.date_of_birth is None:
                # The caller's side needs their birth date, as the profile does.
                services.numerology_profile_ensure(user=user)
            a = selectors.Person(birth_date=user.date_of_birth, full_name=user.numerology_name)
            b = _person(data["with"])
        else:
            a, b = _person(data["a"]), _person(data["b"])
        return Response(
            selectors.numerology_compatibility(a=a, b=b, options=data.get("options"))
        )


class DailyReadingApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "reading"

    @extend_schema(
        operation_id="numerology_daily_reading",
        tags=["numerology"],
        responses={200: DailyReadingOutputSerializer},
        description="Today's reading for the caller's local date, created on first request.",
    )
    def get(self, request):
        reading = services.daily_reading_get_or_create(user=request.user)
        return Response(selectors.daily_reading_payload(reading))


class DailyReadingHistoryApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "reading"

    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(
            required=False, default=20, min_value=1, max_value=selectors.HISTORY_MAX_LIMIT
        )
        cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(
        operation_id="numerology_daily_reading_history",
        tags=["numerology"],
        parameters=[InputSerializer],
        responses={200: DailyReadingOutputSerializer(many=True)},
        description="The caller's readings, newest first; pass pagination.next_cursor as "
        "cursor for the next page.",
    )
    def get(self, request):
        data = validated(self.InputSerializer, request.query_params)
        page = selectors.daily_reading_list_for_user(
            user=request.user, limit=data["limit"], cursor=data.get("cursor") or None
        )
        return paginated(
            [selectors.daily_reading_payload(reading) for reading in page.readings],
            page.pagination,
        )

