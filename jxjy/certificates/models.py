from django.conf import settings
from django.db import models


class CertificateStatus(models.TextChoices):
    ISSUED = "issued", "有效"
    REVOKED = "revoked", "已撤销"


class Certificate(models.Model):
    """A learner's 继续教育证书 for one training year (DESIGN.md §5: issued → revoked).

    `content` is the snapshot printed on the PDF and shown by the public verification page; `signature` is the
    platform's Ed25519 signature over its canonical JSON. The QR code carries `token` (random, never an ID number
    or a database id); `number` with `check_code` is the typed lookup."""

    TRANSITIONS = {
        CertificateStatus.ISSUED: {CertificateStatus.REVOKED},
        CertificateStatus.REVOKED: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    year = models.PositiveSmallIntegerField("年度")
    enrollment = models.ForeignKey(
        "learning.Enrollment",
        verbose_name="网络班",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    number = models.CharField("证书编号", max_length=20, unique=True)
    token = models.CharField("核验令牌", max_length=64, unique=True)
    check_code = models.CharField("校验码", max_length=8)
    content = models.JSONField("证书内容")
    signature = models.CharField("电子签名", max_length=100)
    status = models.CharField(
        "状态", max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.ISSUED
    )
    issued_at = models.DateTimeField("签发时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.CharField("撤销原因", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "继续教育证书"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "year"], condition=models.Q(status="issued"), name="one_live_certificate_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(status="issued", revoked_at__isnull=True)
                | models.Q(status="revoked", revoked_at__isnull=False),
                name="revoked_certificate_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.number}（{self.year}年度）"

    @property
    def is_valid(self):
        return self.status == CertificateStatus.ISSUED

    @property
    def check_code_display(self):
        """ABCD-EFGH: easier to read out and type."""
        return f"{self.check_code[:4]}-{self.check_code[4:]}"
