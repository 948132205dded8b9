from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.selectors import (
    conversation_get_for_user,
    conversation_list_for_user,
    message_page_for_conversation,
)
from chat.services import conversation_delete, conversation_rename
from numerai.api import PagePagination, paginated


class ConversationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    started_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    message_count = serializers.IntegerField()


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    role = serializers.CharField()
    content = serializers.CharField()
    client_msg_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    finish_reason = serializers.CharField(allow_null=True)
    seq = serializers.IntegerField(source="last_seq")
    usage = serializers.DictField()
    model = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ConversationListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("per_page", int)],
        responses={200: ConversationOutputSerializer(many=True)},
    )
    def get(self, request):
        paginator = PagePagination()
        page = paginator.paginate_queryset(
            conversation_list_for_user(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(ConversationOutputSerializer(page, many=True).data)


class ConversationDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)

    @extend_schema(responses={200: ConversationOutputSerializer})
    def get(self, request, conversation_id):
        conversation = conversation_get_for_user(user=request.user,
                                                 conversation_id=conversation_id)
        return Response(ConversationOutputSerializer(conversation).data)

    @extend_schema(request=InputSerializer, responses={200: ConversationOutputSerializer})
    def patch(self, request, conversation_id):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = conversation_rename(
            user=request.user, conversation_id=conversation_id, **serializer.validated_data
        )
        return Response(ConversationOutputSerializer(conversation).data)

    @extend_schema(responses={200: None})
    def delete(self, request, conversation_id):
        conversation_delete(user=request.user, conversation_id=conversation_id)
        return Response({"deleted": True})


class MessageListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses={200: MessageOutputSerializer(many=True)},
    )
    def get(self, request, conversation_id):
        serializer = _PageInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        conversation = conversation_get_for_user(user=request.user,
                                                 conversation_id=conversation_id)
        messages, next_cursor = message_page_for_conversation(
            conversation=conversation, **serializer.validated_data
        )
        return paginated(
            MessageOutputSerializer(messages, many=True).data,
            {"next_cursor": next_cursor, "has_more": next_cursor is not None},
        )


class _PageInput(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)
    cursor = serializers.CharField(required=False, allow_null=True, default=None, max_length=200)
