from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from numerai.errors import ServiceUnavailable
from numerai.health import health_check


class HealthApi(APIView):
    """200 `healthy` when every dependency answers; 503 naming the parts that failed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "mode": serializers.CharField(),
                    "checks": serializers.DictField(),
                },
            )
        }
    )
    def get(self, request):
        healthy, report = health_check()
        if not healthy:
            raise ServiceUnavailable(
                "Degraded: " + ", ".join(
                    name for name, check in report["checks"].items() if check["status"] != "up"
                ),
                code="DEGRADED",
                details={"status": "degraded", **report},
            )
        return Response({"status": "healthy", **report})


def metrics_view(request):
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
