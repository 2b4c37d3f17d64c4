# syntax=docker/dockerfile:1
# The klingflow worker image. Three stages: `build` compiles TypeScript and prebuilds the workflow
# bundle (dev dependencies stay there), `deps` installs production dependencies only, and
# `runtime` gets those node_modules and dist/ (plus package.json and the bin shim) and nothing else:
# no sources, no tests, no TypeScript tooling.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
# The simulated providers (used when no API key is set and KLINGFLOW_SIMULATED=1) live in src/simulated with their sample
# video, and are compiled into dist/ with the rest.
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    KLINGFLOW_STORAGE_DIR=/data/videos \
    KLINGFLOW_METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json says "type": "module", which the compiled ESM in dist/ needs.
COPY package.json ./package.json
COPY bin/klingflow.js ./bin/klingflow.js
COPY --from=build /app/dist ./dist
# Videos go to a volume the unprivileged user owns (a named volume inherits this ownership).
RUN mkdir -p /data/videos && chown node:node /data/videos
USER node
EXPOSE 9464
# Liveness: the worker process answers on its operations port (/readyz also checks Temporal).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.KLINGFLOW_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/klingflow.js", "worker"]
