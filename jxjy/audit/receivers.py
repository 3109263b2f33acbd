"""The audit log hears of every state move (`jxjy.lib.states.state_moved`): lib stands below audit, so it sends a
signal and this one receiver writes the record — one per move, naming who moved what from which state to which."""

from django.dispatch import receiver

from jxjy.lib.states import state_moved

from .services import record


@receiver(state_moved, dispatch_uid="audit.state_moved")
def record_state_move(sender, *, instance, obj, before, after, event, actor, detail, **kwargs):
    if not event:  # a step whose workflow writes its own one record (交卷 and 评分 are one record: the grading's)
        return
    # No request argument: record() takes the client's address from the request context, as for any signal handler.
    record(event, actor=actor, obj=obj, **{"before": before, "after": after, **detail})
