# syntax=docker/dockerfile:1
# outpost: main registry and edge cache in one image. Listen addresses, data directories and the
# shutdown grace come from the environment below, so arguments after the service only add to them:
#   docker run -p 5000:5000 -v outpost-main:/data -e OUTPOST_MAIN_PUBLIC_URL=https://registry.example.com outpost main
#   docker run -p 5001:5001 -v outpost-edge:/data -e OUTPOST_EDGE_PUBLIC_URL=https://sg.registry.example.com \
#     outpost edge --name sg --upstream https://registry.example.com
# Listening on every interface needs the public URL clients use (the service refuses to start without it).

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# lmdb ships prebuilt binaries for linux-x64/arm64; the toolchain is only a fallback.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY main ./main
COPY edge ./edge
COPY bin ./bin
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
# OUTPOST_*_LISTEN instead of a --listen in CMD: `docker run IMAGE main ...` replaces CMD and
# would lose it. The shutdown grace ends before `docker stop` sends SIGKILL (after 10 s by
# default; with `docker stop -t N` or Kubernetes' 30 s, raise it to match).
ENV NODE_ENV=production \
    OUTPOST_MAIN_DATA_DIR=/data/main \
    OUTPOST_EDGE_DATA_DIR=/data/edge \
    OUTPOST_MAIN_LISTEN=0.0.0.0:5000 \
    OUTPOST_EDGE_LISTEN=0.0.0.0:5001 \
    OUTPOST_MAIN_SHUTDOWN_GRACE=8s \
    OUTPOST_EDGE_SHUTDOWN_GRACE=8s
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/bin/outpost.js /usr/local/bin/outpost && chmod +x /app/dist/bin/outpost.js \
    && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 5000 5001
# /health answers 200 while the store is usable (main and edge alike). The check finds the port
# in OUTPOST_MAIN_LISTEN / OUTPOST_EDGE_LISTEN and speaks HTTPS or HTTP, whichever the service
# does; set OUTPOST_HEALTH_URL when the service listens elsewhere (src/cli/container-health.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/bin/healthcheck.js"]
ENTRYPOINT ["outpost"]
CMD ["main"]
