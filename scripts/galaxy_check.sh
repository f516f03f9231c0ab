#!/usr/bin/env bash
# Build the collection tarball into .build/dist and run galaxy-importer on it (offline).
# Fails if the build or the import fails, or the importer logs an ERROR.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$root/.build/dist

rm -rf "$dist"
mkdir -p "$dist"
ansible-galaxy collection build --force --output-path "$dist" .
tarballs=("$dist"/altostrat-cloud-*.tar.gz)
tarball=${tarballs[0]}
[ -f "$tarball" ] || { echo "galaxy-check: no tarball built" >&2; exit 1; }

cd "$dist"   # galaxy-importer writes importer_result.json into the cwd
GALAXY_IMPORTER_CONFIG=$root/scripts/galaxy-importer.cfg \
    python -m galaxy_importer.main "$tarball" 2>&1 | tee importer.log
if grep -q '^ERROR' importer.log; then
    echo "galaxy-check: galaxy-importer reported errors (see above)" >&2
    exit 1
fi
echo "galaxy-check: $(basename "$tarball") imported OK"
