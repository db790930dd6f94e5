from django.urls import path

from .test_async_views import AsyncView, SyncView

urlpatterns = [
    path("async-view/<int:pk>/", AsyncView.as_view()),
    path("sync-view/", SyncView.as_view()),
]
