#!/bin/sh
# One-shot (temporalio/admin-tools), after the server is up: create the namespace (the server no
# longer creates `default` by itself) and register the search attributes klingflow's workflows
# upsert. Safe to re-run: existing ones are left alone.
set -eu
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-720h}"

echo "waiting for Temporal at ${TEMPORAL_ADDRESS}"
until temporal operator cluster health >/dev/null 2>&1; do sleep 2; done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi
# A new namespace takes a few seconds to reach every server role.
until temporal operator search-attribute list --namespace "$NAMESPACE" >/dev/null 2>&1; do sleep 2; done

existing=$(temporal operator search-attribute list --namespace "$NAMESPACE")
for name in KlingProvider KlingModel KlingPhase KlingStatus KlingBatchId; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword
  fi
done
echo "namespace $NAMESPACE is ready for klingflow"
