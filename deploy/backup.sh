#!/bin/sh
# Nightly PostgreSQL backup (run by jxjy-backup.timer): a custom-format dump, kept 35 days locally and copied
# off-host; then a restore check into a scratch database, so a broken dump is noticed the next morning.
set -eu
STAMP=$(date +%Y%m%d-%H%M)
DIR=/var/backups/jxjy
DB_URL=${BACKUP_DATABASE_URL:?set BACKUP_DATABASE_URL}
mkdir -p "$DIR"
pg_dump --format=custom --no-owner --file="$DIR/jxjy-$STAMP.dump" "$DB_URL"
# Restore check: the dump loads, and the audit log and the ledger are there.
dropdb --if-exists jxjy_restore_check
createdb jxjy_restore_check
pg_restore --no-owner --dbname=jxjy_restore_check "$DIR/jxjy-$STAMP.dump"
psql --dbname=jxjy_restore_check -v ON_ERROR_STOP=1 -tAc \
  "SELECT count(*) FROM audit_auditrecord; SELECT count(*) FROM credits_creditentry;" > "$DIR/jxjy-$STAMP.check"
dropdb jxjy_restore_check
# Off-host copy (object storage with versioning and a retention lock ≥ 180 days for the audit log's sake).
if [ -n "${BACKUP_BUCKET:-}" ]; then
  aws s3 cp "$DIR/jxjy-$STAMP.dump" "s3://$BACKUP_BUCKET/postgres/" ${AWS_S3_ENDPOINT_URL:+--endpoint-url "$AWS_S3_ENDPOINT_URL"}
fi
find "$DIR" -name 'jxjy-*.dump' -mtime +35 -delete
