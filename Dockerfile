# syntax=docker/dockerfile:1
# eventlog-sync: built with the dev dependencies (TypeScript), run with the production dependencies and the
# compiled dist/ only. No tsx, no TypeScript, no embedded PostgreSQL in the image: the job uses DATABASE_URL
# or database.url of the configuration (compose: the job's own role, its password a secret file).
#
#   docker build -t eventlog-sync .
#   docker run --rm -e DATABASE_URL=postgres://… -v "$PWD/deploy/eventlog-sync.yaml:/config/eventlog-sync.yaml:ro" eventlog-sync sync -c /config/eventlog-sync.yaml
#
# Base: Node.js 24 (LTS) on Debian bookworm in every stage; 20.19+ and 22.12+ run the job as well (package.json
# "engines"). For byte-for-byte reproducible builds pin the digest too (node:24-bookworm-slim@sha256:…),
# resolved against the registry you pull from.

# Compiles src/ and migrations/ into dist/ (tsc, with source maps).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" would build before the sources are here, and no dev dependency's install
# script is needed to compile (esbuild's and embedded-postgres's are for tsx and the tests).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Exactly the lock file, without dev dependencies (tsx, TypeScript, embedded-postgres stay out).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency needs an install script, and "prepare" (the build) is the
# build stage's job.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# What runs: node_modules (production), dist/src, dist/migrations, bin/ and package.json; nothing else.
FROM node:24-bookworm-slim
WORKDIR /app
# EVENTLOG_SYNC_EMBEDDED_POSTGRES=off: a missing DATABASE_URL is an error, never a throw-away database.
ENV NODE_ENV=production \
    EVENTLOG_SYNC_CONFIG=/config/eventlog-sync.yaml \
    EVENTLOG_SYNC_EMBEDDED_POSTGRES=off
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
COPY package.json ./
COPY bin ./bin
RUN mkdir -p /config
# Everything stays owned by root (read-only for the job); it writes nothing to disk.
# The node image's unprivileged user (uid 1000).
USER node
# Metrics and health of `eventlog-sync daemon` at the default daemon.port; the health check reads the port
# (and daemon.host) from the configuration, so a changed port needs no change here, only to -p/EXPOSE.
EXPOSE 9464
# Healthy while the daemon answers /healthz. Only the daemon serves it: a one-off `sync` container
# has no health endpoint (Kubernetes ignores HEALTHCHECK; use probes there).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "dist/src/cli/healthcheck.js"]
# --enable-source-maps: stack traces name the TypeScript files and lines.
ENTRYPOINT ["node", "--enable-source-maps", "bin/eventlog-sync.js"]
CMD ["daemon", "-c", "/config/eventlog-sync.yaml"]
