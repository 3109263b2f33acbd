"""The Django admin's read-only pages: records the platform's services write (state moves, the ledger, the audit
log, gateway notifications) are shown there and never added, changed or deleted by hand."""


class ReadOnlyAdminMixin:
    """Put before admin.ModelAdmin or an inline. No adding or deleting; no changing either unless `allow_change`,
    for a model whose admin keeps a change page for an action filed under "change" (退款) or an editable field."""

    allow_change = False

    def has_add_permission(self, request, obj=None):  # obj: inlines are asked with the parent object
        return False

    def has_change_permission(self, request, obj=None):
        return self.allow_change and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
