#!/bin/bash
# Lets the replica stream from the primary (compose's private network only).
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"
