"""{% load hours %}: {{ c.earned|hours }} 学时, 还差 {{ c.missing|hours_short }} 学时,
{{ c.missing|video_time:year.minutes_per_hour }}."""

from django import template

from jxjy.lib import hours as formatting

register = template.Library()
register.filter("hours", formatting.hours)
register.filter("hours_short", formatting.hours_short)
register.filter("video_time", formatting.video_time)
