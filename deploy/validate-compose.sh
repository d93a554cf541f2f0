#!/usr/bin/env sh
# Renders deploy/compose/docker-compose.yml with the example env file and fails on any error.
# Needs no Docker engine: `config` only parses, interpolates and validates the file.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
compose_file="$root/deploy/compose/docker-compose.yml"
env_file="$root/deploy/compose/.env.example"

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "validate-compose: docker-compose not found. On Debian/Ubuntu: apt-get install -y docker-compose" >&2
  exit 127
fi

docker-compose -f "$compose_file" --env-file "$env_file" config -q
echo "validate-compose: $(docker-compose version --short 2>/dev/null || echo docker-compose) accepts $compose_file"
