from django.urls import path

from . import views

urlpatterns = [
    path("create/", views.create),
    path("create-in-block/", views.create_in_block),
    path("fail/", views.fail_after_write),
]
