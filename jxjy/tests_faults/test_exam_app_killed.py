"""The app killed mid-exam (SIGKILL to gunicorn's master and workers): every answer the page was told was saved is
still there after the restart, and the attempt's deadline is the same — the server's clock did not restart."""

import re

from django.utils import timezone

from . import harness
from .harness import Browser

pytestmark = harness.needs_postgres_and_redis

ANSWERS = 10
CHECKED = re.compile(r'<input type="(?:radio|checkbox)" name="q(\d+)" value="[A-Z]" checked')


def test_app_killed_mid_exam_keeps_every_saved_answer_and_the_deadline(stack, template_database):
    redis = harness.redis_server(stack).start()
    with harness.throwaway_database(template_database) as db:
        env = harness.app_environment(database_url=db, redis_url=redis.url, var_dir=stack.var_dir)
        data = harness.setup_data(env, "exam_ready_learner()")
        app = harness.gunicorn(stack, env).start()
        browser = Browser(app.port)
        browser.sign_in(data["id_number"], data["password"])
        enrollment = data["enrollment"]

        entered = browser.post(f"/study/{enrollment}/exam/enter/", {})
        assert entered.status == 302, entered.text[:500]
        attempt = int(re.search(rf"/study/{enrollment}/exam/(\d+)/", entered.location).group(1))
        [(paper, deadline)] = harness.query(db, "SELECT paper, deadline FROM exams_examattempt WHERE id = %s",
                                            (attempt,))  # fmt: skip
        questions = [entry["q"] for entry in paper][:ANSWERS]
        for question in questions:  # the page's autosave: one answer at a time, as it is given
            reply = browser.post(f"/study/{enrollment}/exam/{attempt}/answer/", {"question": question, "answer": "A"},
                                 json_reply=True)  # fmt: skip
            assert reply.status == 200 and reply.json() == {"saved": True}, reply.text[:300]

        app.kill()
        try:
            browser.get("/healthz", timeout=2)
            raise AssertionError("the app still answers after SIGKILL")
        except OSError:
            pass  # the app is down: connection refused
        app.start()

        page = browser.get(f"/study/{enrollment}/exam/{attempt}/")
        assert page.status == 200, page.text[:500]
        shown = {int(q) for q in CHECKED.findall(page.text)}
        remaining = int(re.search(r'data-remaining="(\d+)"', page.text).group(1))
        kept = harness.query(db, "SELECT question_id FROM exams_examanswer WHERE attempt_id = %s AND given <> ''",
                             (attempt,))  # fmt: skip
        [(status, deadline_after)] = harness.query(
            db, "SELECT status, deadline FROM exams_examattempt WHERE id = %s", (attempt,)
        )
        expected_remaining = (deadline - timezone.now()).total_seconds()
        before, after = (f"{timezone.localtime(d):%H:%M:%S}" for d in (deadline, deadline_after))
        print(
            f"\n[fault] app killed mid-exam: {len(kept)}/{ANSWERS} saved answers kept in PostgreSQL, "
            f"{len(shown)}/{ANSWERS} shown on the paper after the restart; deadline {before} before, {after} after "
            f"(unchanged: {deadline_after == deadline}); the paper shows {remaining} s left"
        )
        assert {q for (q,) in kept} == set(questions)
        assert shown == set(questions)
        assert deadline_after == deadline and status == "started"
        assert abs(remaining - expected_remaining) < 5
