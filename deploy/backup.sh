#!/bin/sh
# A consistent backup of one PostgreSQL database (the app's, or Rasa's tracker store if it
# has its own): `deploy/backup.sh <database> <file.dump>`. pg_dump takes a snapshot, so the
# service keeps running. The connection comes from libpq's environment (PGHOST, PGPORT,
# PGUSER) and the password from ~/.pgpass or PGPASSFILE: never from the command line.
# See docs/operations.md ("Backups").
set -eu
database=$1
file=$2
umask 077  # the dump holds personal data: readable by its owner only
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$database"
pg_restore --list "$file.partial" >/dev/null  # the archive is readable
mv "$file.partial" "$file"
