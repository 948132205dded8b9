"""The real URLs plus views that raise each kind of error, to test the envelope end to end."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from numerai.errors import Conflict
from numerai.throttling import ScopedRateThrottle
from numerai.urls import urlpatterns as real_urlpatterns


class _Open(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class EchoApi(_Open):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=5)
        age = serializers.IntegerField(min_value=0)

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class BoomApi(_Open):
    def get(self, request):
        raise RuntimeError("secret internal detail")


class ConflictApi(_Open):
    def get(self, request):
        raise Conflict("Already there.", code="PROFILE_INCOMPLETE")


class LimitedApi(_Open):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/test/echo", EchoApi.as_view()),
    path("api/v1/test/boom", BoomApi.as_view()),
    path("api/v1/test/conflict", ConflictApi.as_view()),
    path("api/v1/test/limited", LimitedApi.as_view()),
    *real_urlpatterns,
]
