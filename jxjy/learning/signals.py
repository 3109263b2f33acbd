"""What learning tells the apps downstream of it (they may not be imported from here)."""

from django.dispatch import Signal

# Sent when a refund closed an enrollment (inside the refund's transaction), with `enrollment` and `actor`.
enrollment_refunded = Signal()

# Sent when a pop-up question was answered wrongly (inside the answer's transaction), with `user` and
# `question_id`: exams puts the question into the learner's 错题本.
checkpoint_answered_wrong = Signal()
