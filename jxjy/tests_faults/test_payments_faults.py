"""Payments across faults, through the 模拟银行 (signed like a real gateway) and a real Celery worker:

- a notification sent while the app is down (no answer), sent again once it is back, then 20 copies at once:
  the order is paid once — one PAID transition, one enrollment;
- a payment whose notification never comes: the periodic query (beat → worker) asks the bank and settles it."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter

from . import harness
from .harness import Browser

pytestmark = harness.needs_postgres_and_redis

COPIES = 20
MERCHANT_ID = "JXJY-MOCK-0001"  # the 模拟银行's merchant number (jxjy.payments.providers.mockbank)
SIGNATURE_HEADER = "X-Mockbank-Signature"


def signed_notification(env: dict, payment: dict) -> tuple[bytes, dict]:
    """The bank's notification that the payment succeeded, signed with the app's 模拟银行 key."""
    body = json.dumps(
        {"merchant_id": MERCHANT_ID, "out_trade_no": payment["number"], "trade_no": payment["trade_no"],
         "amount": payment["amount"], "status": "SUCCESS", "timestamp": int(time.time())},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    signature = hmac.new(env["MOCKBANK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: signature}


def notify(port: int, body: bytes, headers: dict):
    """POST the notification as the bank does; the answer's status and body, or the exception's name."""
    try:
        reply = Browser(port).request("POST", "/payments/notify/mockbank/", body=body, headers=headers)
    except OSError as exc:
        return type(exc).__name__
    return reply.status, reply.body


def payment_outcome(db: str, data: dict) -> dict:
    [(order_status,)] = harness.query(db, "SELECT status FROM orders_order WHERE id = %s", (data["order"],))
    [(payment_status, confirmed_by)] = harness.query(
        db, "SELECT status, confirmed_by FROM payments_payment WHERE id = %s", (data["payment"],)
    )
    [(enrollments,)] = harness.query(db, "SELECT count(*) FROM learning_enrollment WHERE user_id = %s", (data["user"],))
    [(paid_transitions,)] = harness.query(
        db,
        "SELECT count(*) FROM audit_auditrecord WHERE event = 'order.transition' AND object_type = 'orders.Order' "
        "AND object_id = %s AND detail->>'after' = 'paid'",
        (str(data["order"]),),
    )
    notes = dict(
        harness.query(
            db,
            "SELECT outcome, count(*) FROM payments_paymentnotification WHERE payment_id = %s GROUP BY outcome",
            (data["payment"],),
        )
    )
    return {"order": order_status, "payment": payment_status, "confirmed_by": confirmed_by,
            "enrollments": enrollments, "paid_transitions": paid_transitions, "notifications": notes}  # fmt: skip


def test_notification_during_an_outage_then_retried_then_twenty_copies_pays_once(stack, template_database):
    redis = harness.redis_server(stack).start()
    with harness.throwaway_database(template_database) as db:
        env = harness.app_environment(database_url=db, redis_url=redis.url, var_dir=stack.var_dir)
        data = harness.setup_data(env, "pending_payment()")
        app, worker = harness.gunicorn(stack, env), harness.celery_worker(stack, env)
        for service in (app, worker):
            service.start()
        body, headers = signed_notification(env, data)

        app.kill()
        during_outage = notify(app.port, body, headers)  # the bank's first delivery finds nobody
        app.start()
        retried = notify(app.port, body, headers)  # the bank's retry
        ready, replies = threading.Barrier(COPIES), []

        def copy():
            ready.wait(timeout=30)
            replies.append(notify(app.port, body, headers))

        threads = [threading.Thread(target=copy, daemon=True) for _ in range(COPIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        def processed():  # the worker has acted on every stored notification
            outcome = payment_outcome(db, data)
            notes = outcome["notifications"]
            return sum(notes.values()) == COPIES + 1 and not notes.get("received") and outcome

        outcome = harness.wait_for(processed, 60, "the worker to process every notification", interval=0.3)
        answers = Counter(reply if isinstance(reply, str) else reply[0] for reply in replies)
        print(
            f"\n[fault] notification during an app outage: {during_outage}; retried after the restart: "
            f"{retried[0]} {retried[1].decode()}; {COPIES} concurrent copies answered {dict(answers)}; "
            f"notifications stored {outcome['notifications']}; order {outcome['order']}, payment "
            f"{outcome['payment']} (by {outcome['confirmed_by']}); enrollments {outcome['enrollments']}, "
            f"PAID transitions {outcome['paid_transitions']}"
        )
        assert during_outage == "ConnectionRefusedError"
        assert retried == (200, b"OK")
        assert answers == {200: COPIES}
        assert outcome["order"] == "paid" and outcome["payment"] == "succeeded"
        assert outcome["enrollments"] == 1 and outcome["paid_transitions"] == 1
        assert outcome["notifications"] == {"accepted": 1, "duplicate": COPIES}


def test_a_payment_whose_notification_never_comes_is_settled_by_the_query(stack, template_database):
    redis = harness.redis_server(stack).start()
    with harness.throwaway_database(template_database) as db:
        env = harness.app_environment(database_url=db, redis_url=redis.url, var_dir=stack.var_dir)
        # Paid on the bank's page 20 minutes ago (past PAYMENT_QUERY_AFTER_MINUTES); the notification was lost.
        data = harness.setup_data(env, "pending_payment(age_minutes=20)")
        assert payment_outcome(db, data)["order"] == "pending"
        worker = harness.celery_worker(stack, env).start()
        started = time.monotonic()
        # The project's beat schedule, with the query every 2 s instead of every 5 minutes.
        harness.celery_beat(stack, env, every={"query-pending-payments": 2}).start()
        outcome = harness.wait_for(
            lambda: (o := payment_outcome(db, data))["order"] == "paid" and o, 60, "the query to settle the payment"
        )
        settled_in = time.monotonic() - started
        print(
            f"\n[fault] notification never came: settled by the periodic query in {settled_in:.1f} s (beat every 2 s, "
            f"real worker pid {worker.pid}); order {outcome['order']}, payment {outcome['payment']} "
            f"(by {outcome['confirmed_by']}); enrollments {outcome['enrollments']}, PAID transitions "
            f"{outcome['paid_transitions']}, notifications {outcome['notifications'] or 'none'}"
        )
        assert outcome["payment"] == "succeeded" and outcome["confirmed_by"] == "query"
        assert outcome["enrollments"] == 1 and outcome["paid_transitions"] == 1
        assert outcome["notifications"] == {}
