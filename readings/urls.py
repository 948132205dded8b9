from django.urls import path

from readings import apis

urlpatterns = [
    path(
        "numerology/calculate", apis.NumerologyCalculateApi.as_view(), name="numerology-calculate"
    ),
    path("numerology/profile", apis.NumerologyProfileApi.as_view(), name="numerology-profile"),
    path(
        "numerology/compatibility",
        apis.NumerologyCompatibilityApi.as_view(),
        name="numerology-compatibility",
    ),
    path(
        "numerology/daily-reading",
        apis.DailyReadingApi.as_view(),
        name="numerology-daily-reading",
    ),
    path(
        "numerology/daily-reading/history",
        apis.DailyReadingHistoryApi.as_view(),
        name="numerology-daily-reading-history",
    ),
]
