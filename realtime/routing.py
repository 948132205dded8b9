from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from realtime.consumers import RealtimeConsumer


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: the handshake is refused (HTTP 403), nothing is logged."""

    async def connect(self):
        await self.close()


websocket_urlpatterns = [
    path("ws/v1/", RealtimeConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
