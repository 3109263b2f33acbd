"""The learner's order pages: orders.py (网络班报名, 预报名清单, 我的订单, the unit order's invitations), invoices.py
(申请开票, the invoice PDF), unit.py (单位统一报名缴费)."""
