from django.urls import path

from chat.apis import ConversationDetailApi, ConversationListApi, MessageListApi

urlpatterns = [
    path("ai/conversations", ConversationListApi.as_view(), name="conversation-list"),
    path("ai/conversations/<uuid:conversation_id>", ConversationDetailApi.as_view(),
         name="conversation-detail"),
    path("ai/conversations/<uuid:conversation_id>/messages", MessageListApi.as_view(),
         name="conversation-messages"),
]
