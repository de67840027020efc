#!/bin/sh
# Restore a dump of deploy/backup.sh into a NEW database: `deploy/restore.sh <file.dump>
# <new database>`. It never writes into an existing database: point DATABASE_URL at the
# new one and restart the workers (docs/operations.md, "Restoring").
set -eu
file=$1
database=$2
createdb "$database"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$database" "$file"
