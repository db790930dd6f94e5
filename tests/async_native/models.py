from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    title = models.CharField(max_length=50)
    published = models.DateTimeField(null=True)


class Code(models.Model):
    code = models.CharField(max_length=10, unique=True)
