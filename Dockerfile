# Vibariant: server, dashboard and the SDK's script tag in one image.
#   docker build -t vibariant .
# The build stage runs the same commands as CI (npm ci, npm run build); the runtime stage is what
# scripts/package-runtime.sh assembles: the built files and production dependencies only.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# Manifests first, so that the dependency layer is cached while only sources change.
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
COPY server/package.json server/
COPY client/package.json client/
COPY stats/package.json stats/
COPY e2e/package.json e2e/
COPY demo/package.json demo/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && scripts/package-runtime.sh /app

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    VIBARIANT_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# The data directory: the session key when JWT_SECRET is unset, and the embedded database when
# DATABASE_URL is unset. Owned by the unprivileged user the server runs as.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself: it finishes the requests in flight, then exits.
CMD ["node", "--enable-source-maps", "server/dist/main.js"]
