# The klingflow worker. Runs the TypeScript sources through tsx (a runtime dependency).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
# The simulated providers (used when no API key is set) are the test fakes and their sample video.
COPY test/fakes ./test/fakes
COPY test/fixtures/sample.mp4 ./test/fixtures/sample.mp4
COPY tsconfig.json ./
# Runs as root so it can write to the ./videos bind mount whatever the host user's uid is;
# set `user:` in docker-compose.yml to your uid:gid to run unprivileged.
CMD ["node", "bin/klingflow.js", "worker"]
