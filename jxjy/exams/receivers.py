"""Exams hears of what happens in learning below it (learning may not import exams)."""

from django.dispatch import receiver

from jxjy.learning.signals import checkpoint_answered_wrong

from .models import WrongSource
from .services import record_wrong


@receiver(checkpoint_answered_wrong, dispatch_uid="exams.checkpoint_answered_wrong")
def put_popup_miss_in_wrong_book(sender, user, question_id, **kwargs):
    record_wrong(user, question_id, WrongSource.POPUP)
