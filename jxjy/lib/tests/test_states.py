"""jxjy.lib.states.move — the one way a row changes state — and the audit record it leaves (jxjy.audit.receivers).

Shown on a 注销申请 (accounts.ClosureRequest: 待办理 → 已注销 / 已撤回), the lowest model with a state."""

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jxjy.accounts.models import ClosureRequest, ClosureState
from jxjy.audit.models import AuditRecord, Event
from jxjy.lib.request_context import current_request
from jxjy.lib.states import IllegalMove, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def closure(alice):
    return ClosureRequest.objects.create(user=alice, reason="不再使用")


def withdraw(closure, **kwargs):
    return move(closure, ClosureState.WITHDRAWN, field="state", event=Event.CLOSURE_WITHDRAW, **kwargs)


def test_a_move_saves_the_state_with_its_changes_and_leaves_one_audit_record(closure, alice):
    when = timezone.now()
    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.7")
    token = current_request.set(request)
    try:
        moved, before = withdraw(closure, actor=alice, detail={"why": "改变主意"}, withdrawn_at=when)
    finally:
        current_request.reset(token)
    assert before == ClosureState.PENDING and moved.state == ClosureState.WITHDRAWN
    saved = ClosureRequest.objects.get(pk=closure.pk)
    assert saved.state == ClosureState.WITHDRAWN and saved.withdrawn_at == when
    entry = AuditRecord.objects.get()
    assert (entry.event, entry.actor, entry.object_type, entry.object_id) == (
        Event.CLOSURE_WITHDRAW,
        alice,
        "accounts.ClosureRequest",
        str(closure.pk),
    )
    assert entry.detail == {"before": "pending", "after": "withdrawn", "why": "改变主意"}
    assert entry.ip == "10.9.8.7"  # from the request context: no request argument on the service


def test_a_move_saves_only_the_fields_it_changes(closure, alice):
    with CaptureQueriesContext(connection) as queries:
        withdraw(closure, actor=alice, withdrawn_at=timezone.now())
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"state"' in updates[0] and '"withdrawn_at"' in updates[0] and '"reason"' not in updates[0]


def test_a_move_is_quiet_when_the_row_is_already_there(closure, alice):
    withdraw(closure, actor=alice)
    again, before = withdraw(closure, actor=alice, withdrawn_at=timezone.now())
    assert before is None and again.state == ClosureState.WITHDRAWN
    assert ClosureRequest.objects.get(pk=closure.pk).withdrawn_at is None  # nothing saved the second time
    assert AuditRecord.objects.count() == 1


def test_a_move_reads_the_state_from_the_locked_row_not_from_the_callers_copy(closure, alice):
    stale = ClosureRequest.objects.get(pk=closure.pk)
    withdraw(closure, actor=alice)
    _, before = withdraw(stale, actor=alice)  # the caller's copy still says 待办理
    assert before is None and AuditRecord.objects.count() == 1


def test_a_forbidden_move_is_refused_with_the_callers_sentence_naming_the_state_found(closure, alice):
    withdraw(closure, actor=alice)
    with pytest.raises(IllegalMove) as refused:
        move(closure, ClosureState.DONE, field="state", event=Event.CLOSURE_COMPLETE, message="申请{state}，无需办理。")
    assert refused.value.status == 409 and refused.value.message == "申请已撤回，无需办理。"
    with pytest.raises(IllegalMove) as default:
        move(closure, ClosureState.DONE, field="state", event=Event.CLOSURE_COMPLETE)
    assert default.value.message == "注销申请当前为“已撤回”，不能变为“已注销”。"
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.WITHDRAWN
    assert AuditRecord.objects.filter(event=Event.CLOSURE_COMPLETE).count() == 0


def test_the_record_may_name_another_object_and_report_work_done_after_the_save(closure, alice, nanjing_reviewer):
    seen = []

    def work(locked):
        seen.append(ClosureRequest.objects.get(pk=locked.pk).state)  # runs after the save
        return {"done": {"账号": "已清空"}}

    move(
        closure,
        ClosureState.DONE,
        field="state",
        event=Event.CLOSURE_COMPLETE,
        actor=nanjing_reviewer,
        about=alice,
        detail=work,
    )
    assert seen == [ClosureState.DONE]
    entry = AuditRecord.objects.get()
    assert (entry.object_type, entry.object_id) == ("accounts.User", str(alice.pk))
    assert entry.detail["done"] == {"账号": "已清空"}


def test_a_failure_after_the_move_takes_the_move_and_its_record_back(closure, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        withdraw(closure, actor=alice)
        raise RuntimeError("a side effect failed")
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING
    assert not AuditRecord.objects.exists()


def test_a_step_with_no_event_leaves_no_record(closure, alice):
    move(closure, ClosureState.WITHDRAWN, field="state", event="", actor=alice)
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.WITHDRAWN
    assert not AuditRecord.objects.exists()
