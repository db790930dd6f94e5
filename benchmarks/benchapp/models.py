"""The benchmark's tables; the same module runs on the fork and on upstream."""

from django.db import models


class Item(models.Model):
    """The small table: get, count, iteration and the concurrency queries."""

    name = models.CharField(max_length=40)
    number = models.IntegerField()

    class Meta:
        app_label = "benchapp"
        db_table = "bench_item"


class Row(models.Model):
    """The big table the memory scenario reads."""

    name = models.CharField(max_length=40)
    number = models.IntegerField()

    class Meta:
        app_label = "benchapp"
        db_table = "bench_row"


class Note(models.Model):
    """Where create and acreate write, so that they leave Item as it is."""

    name = models.CharField(max_length=40)

    class Meta:
        app_label = "benchapp"
        db_table = "bench_note"


class Counter(models.Model):
    """The row the whole-app scenario's write view increments with F()."""

    value = models.IntegerField(default=0)

    class Meta:
        app_label = "benchapp"
        db_table = "bench_counter"


class Account(models.Model):
    """The rows the transaction scenario locks, reads and writes back."""

    balance = models.IntegerField(default=0)

    class Meta:
        app_label = "benchapp"
        db_table = "bench_account"


MODELS = [Item, Row, Note, Counter, Account]
