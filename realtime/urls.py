from django.urls import path

from realtime.apis import ChatSendApi, TicketCreateApi

urlpatterns = [
    path("realtime/ticket", TicketCreateApi.as_view(), name="realtime-ticket"),
    path("ai/chat", ChatSendApi.as_view(), name="ai-chat"),
]
